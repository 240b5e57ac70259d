import { EM_AARCH64, EM_X86_64, type GlibcVersion } from "./elf.ts";

/**
 * Facts about the Lambda Python runtimes a layer can target. glibc is what the runtime's OS ships:
 * python3.11 runs on Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon Linux 2023 (2.34).
 * A binary needing a newer GLIBC_x.y symbol than this fails to load on Lambda.
 */
export interface PythonRuntime {
  version: string;
  /** Lambda runtime identifier (CompatibleRuntimes). */
  runtime: string;
  os: string;
  glibc: GlibcVersion;
  /** CPython's tag: cp311. */
  cpTag: string;
  /** The version part of an extension module's ABI tag: 311 in cpython-311-x86_64-linux-gnu. */
  abiVersion: string;
}

export const PYTHON_RUNTIMES: Record<string, PythonRuntime> = {
  "3.11": runtime("3.11", "Amazon Linux 2", [2, 26]),
  "3.12": runtime("3.12", "Amazon Linux 2023", [2, 34]),
  "3.13": runtime("3.13", "Amazon Linux 2023", [2, 34]),
};

function runtime(version: string, os: string, glibc: GlibcVersion): PythonRuntime {
  const digits = version.replace(".", "");
  return { version, runtime: `python${version}`, os, glibc, cpTag: `cp${digits}`, abiVersion: digits };
}

export const ARCHITECTURES = ["x86_64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** How an architecture is spelled in ELF (e_machine), in wheel platform tags and in ABI tags. */
export const ARCH_FACTS: Record<Architecture, { elfMachine: number; machine: string; lambda: string }> = {
  x86_64: { elfMachine: EM_X86_64, machine: "x86_64", lambda: "x86_64" },
  arm64: { elfMachine: EM_AARCH64, machine: "aarch64", lambda: "arm64" },
};

export function formatGlibc(v: GlibcVersion): string {
  return `${v[0]}.${v[1]}`;
}

/**
 * The --platform tags pip may pick wheels for: manylinux2014 (= manylinux_2_17, the oldest tag any
 * current wheel ships for aarch64 too) and every manylinux_2_x up to the runtime's glibc, so a wheel
 * that only ships e.g. manylinux_2_24 or _2_26 tags still installs, and none that needs a newer
 * glibc than the runtime ever does. pip does not expand an explicit --platform to older tags, so
 * each one is listed.
 */
export function manylinuxPlatforms(arch: Architecture, glibc: GlibcVersion): string[] {
  const m = ARCH_FACTS[arch].machine;
  const tags = [`manylinux2014_${m}`];
  for (let minor = 17; minor <= glibc[1]; minor++) tags.push(`manylinux_2_${minor}_${m}`);
  return tags;
}
