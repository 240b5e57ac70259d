import { EM_AARCH64, EM_X86_64, type GlibcVersion, type SymbolVersion } from "./elf.ts";

/**
 * Facts about the Lambda Python runtimes a layer can target, from what each runtime's OS ships.
 *
 * glibc: python3.11 runs on Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon Linux 2023
 * (glibc 2.34). A binary needing a newer GLIBC_x.y symbol than this fails to load on Lambda.
 *
 * libstdc++: the OS's system GCC provides it. Amazon Linux 2 ships GCC 7.3, Amazon Linux 2023 GCC 11
 * ("Improved toolchain: gcc, binutils, and glibc" in the AL2023 user guide: gcc 7.3 on AL2, 11.3 on
 * AL2023). GCC's libstdc++ ABI history (libstdc++ manual, "ABI Policy and Guidelines", versioning
 * history) gives the newest symbol versions each exports: GCC 7.2+ GLIBCXX_3.4.24 / CXXABI_1.3.11,
 * GCC 11.1+ GLIBCXX_3.4.29 / CXXABI_1.3.13. A C++ extension built with a newer GCC (Debian trixie's
 * GCC 14 needs up to GLIBCXX_3.4.33) imports where it was built and fails on Lambda.
 */
export interface PythonRuntime {
  version: string;
  /** Lambda runtime identifier (CompatibleRuntimes). */
  runtime: string;
  os: string;
  glibc: GlibcVersion;
  libstdcxx: LibstdcxxFacts;
  /** CPython's tag: cp311. */
  cpTag: string;
  /** The version part of an extension module's ABI tag: 311 in cpython-311-x86_64-linux-gnu. */
  abiVersion: string;
}

/** The newest symbol versions the runtime's libstdc++.so.6 defines, and the GCC it comes from. */
export interface LibstdcxxFacts {
  gcc: string;
  glibcxx: SymbolVersion;
  cxxabi: SymbolVersion;
}

const AMAZON_LINUX_2 = {
  os: "Amazon Linux 2",
  glibc: [2, 26] as GlibcVersion,
  libstdcxx: { gcc: "7.3", glibcxx: [3, 4, 24], cxxabi: [1, 3, 11] },
};
const AMAZON_LINUX_2023 = {
  os: "Amazon Linux 2023",
  glibc: [2, 34] as GlibcVersion,
  libstdcxx: { gcc: "11", glibcxx: [3, 4, 29], cxxabi: [1, 3, 13] },
};

export const PYTHON_RUNTIMES: Record<string, PythonRuntime> = {
  "3.11": runtime("3.11", AMAZON_LINUX_2),
  "3.12": runtime("3.12", AMAZON_LINUX_2023),
  "3.13": runtime("3.13", AMAZON_LINUX_2023),
  "3.14": runtime("3.14", AMAZON_LINUX_2023),
};

function runtime(version: string, os: Pick<PythonRuntime, "os" | "glibc" | "libstdcxx">): PythonRuntime {
  const digits = version.replace(".", "");
  return { version, runtime: `python${version}`, ...os, cpTag: `cp${digits}`, abiVersion: digits };
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
