import { formatBytes } from "@prebake/core";
import { LAMBDA_UNZIPPED_LIMIT_BYTES } from "./definition.ts";
import {
  binaryKind,
  compareSymbolVersions,
  compareVersions,
  ElfFormatError,
  type ElfInfo,
  type GlibcVersion,
  newestGlibcNeeded,
  newestVersionNeeded,
  readElf,
} from "./elf.ts";
import {
  ARCH_FACTS,
  type Architecture,
  formatGlibc,
  PYTHON_RUNTIMES,
  type PythonRuntime,
} from "./runtimes.ts";
import type { LayerEntry } from "./zip-read.ts";

/**
 * Static checks that a layer will import on the Lambda runtimes it is published for. Pure: it
 * looks only at the entries (paths, unzipped sizes, the bytes of binaries and WHEEL files), so it
 * runs the same on Linux, macOS and Windows, before anything is published.
 */
export interface ValidationTarget {
  pythonVersions: string[];
  arch: Architecture;
  /** Bytes the functions also carry: their other layers and their own code. */
  otherBytes?: number;
  otherDescription?: string;
  warnAtPercent?: number;
  limitBytes?: number;
}

export interface ValidationReport {
  errors: string[];
  warnings: string[];
  unzippedBytes: number;
  totalBytes: number;
  files: number;
  sharedObjects: { path: string; machine: string; glibc: string | undefined; glibcxx?: string }[];
  topLevel: Record<string, string[]>;
}

/** Files whose contents validation needs. */
export const needsContent = (path: string) => isSharedObject(path) || /\.dist-info\/WHEEL$/.test(path);

export const isSharedObject = (path: string) => /\.so(\.\d+)*$/.test(path);

const SITE_PACKAGES = /^python\/lib\/python(\d+\.\d+)\/site-packages\//;

/** The runtimes a file must work on: its python3.X site-packages, or every targeted version for python/. */
function runtimesFor(path: string, targets: PythonRuntime[]): PythonRuntime[] | string {
  const m = SITE_PACKAGES.exec(path);
  if (!m) return targets;
  const match = targets.filter((t) => t.version === m[1]);
  return match.length > 0 ? match : m[1]!;
}

const lambdaName = (rt: PythonRuntime) => `Lambda ${rt.runtime} (${rt.os})`;

/** The C++ runtime a C++ extension links against; the Lambda runtime's OS provides it. */
export const LIBSTDCXX = "libstdc++.so.6";

/**
 * The libstdc++ symbol versions (GLIBCXX_x.y.z, CXXABI_x.y.z) a shared object needs beyond what
 * the runtime's libstdc++ defines: the loader refuses such a file ("version `GLIBCXX_3.4.30' not
 * found"), although it imports fine on the newer system it was built on.
 */
export function libstdcxxProblems(path: string, elf: ElfInfo, rt: PythonRuntime): string[] {
  const problems: string[] = [];
  const has = [
    ["GLIBCXX", rt.libstdcxx.glibcxx],
    ["CXXABI", rt.libstdcxx.cxxabi],
  ] as const;
  for (const [prefix, newestThere] of has) {
    const needed = newestVersionNeeded(elf, LIBSTDCXX, prefix);
    if (needed && compareSymbolVersions(needed.version, newestThere) > 0) {
      problems.push(
        `${path}: needs ${needed.name} from ${LIBSTDCXX} but ${lambdaName(rt)} has ${prefix} up to ` +
          `${prefix}_${newestThere.join(".")} (the libstdc++ of its GCC ${rt.libstdcxx.gcc})`,
      );
    }
  }
  return problems;
}

/** glibc of manylinux tags: manylinux1 = 2.5, manylinux2010 = 2.12, manylinux2014 = 2.17, manylinux_2_x = 2.x. */
export function manylinuxGlibc(platform: string): { glibc: GlibcVersion; arch: string } | undefined {
  const legacy: Record<string, GlibcVersion> = {
    manylinux1: [2, 5],
    manylinux2010: [2, 12],
    manylinux2014: [2, 17],
  };
  const m = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(platform);
  if (m) return { glibc: legacy[m[1]!]!, arch: m[2]! };
  const n = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(platform);
  if (n) return { glibc: [Number(n[1]), Number(n[2])], arch: n[3]! };
  return undefined;
}

/**
 * Why one wheel tag (python-abi-platform) cannot run on the runtime, or undefined when it can.
 * Used on the `Tag:` lines of *.dist-info/WHEEL: a wheel fits when any of its tags fits.
 */
export function wheelTagProblem(tag: string, rt: PythonRuntime, arch: Architecture): string | undefined {
  const [py, abi, platform] = tag.split("-");
  if (!py || !abi || !platform) return `malformed wheel tag ${tag}`;
  const machine = ARCH_FACTS[arch].machine;
  const platforms = platform.split(".");
  const platformProblem = (() => {
    const problems: string[] = [];
    for (const p of platforms) {
      if (p === "any") return undefined;
      if (/^macosx_/.test(p)) problems.push(`a macOS wheel (${p}); Lambda runs Linux`);
      else if (/^win/.test(p)) problems.push(`a Windows wheel (${p}); Lambda runs Linux`);
      else if (/^musllinux_/.test(p))
        problems.push(`a musl (Alpine) wheel (${p}); Lambda's Linux uses glibc`);
      else if (p.startsWith("linux_")) {
        if (p !== `linux_${machine}`) problems.push(`built for ${p.slice(6)}, the layer targets ${machine}`);
        else return undefined; // not manylinux: the ELF checks decide
      } else {
        const ml = manylinuxGlibc(p);
        if (!ml) problems.push(`for platform ${p}`);
        else if (ml.arch !== machine)
          problems.push(`built for ${ml.arch} (${p}), the layer targets ${machine}`);
        else if (compareVersions(ml.glibc, rt.glibc) > 0)
          problems.push(
            `needs glibc ${formatGlibc(ml.glibc)} (${p}) but ${lambdaName(rt)} has glibc ${formatGlibc(rt.glibc)}`,
          );
        else return undefined;
      }
    }
    return problems[0];
  })();
  if (platformProblem) return platformProblem;
  // Python and ABI: py3/none and abi3 (stable ABI, from its minimum version up) fit any 3.x.
  const pys = py.split(".");
  if (abi === "abi3") {
    const ok = pys.some((p) => {
      const m = /^cp3(\d+)$/.exec(p);
      return m ? Number(m[1]) <= Number(rt.abiVersion.slice(1)) : /^py3/.test(p);
    });
    return ok ? undefined : `needs a newer Python (${py}-abi3) than ${rt.runtime}`;
  }
  if (abi === "none") {
    return pys.some((p) => /^py3\d*$/.test(p) || p === `cp${rt.abiVersion}`)
      ? undefined
      : `for ${py}, not ${rt.runtime}`;
  }
  const m = /^cp(\d+)/.exec(abi);
  if (m && m[1] !== rt.abiVersion)
    return `built for CPython ${m[1]!.replace(/^3/, "3.")} (${abi}) but the layer targets ${rt.runtime}`;
  if (!m) return `built for ${py}-${abi}, not CPython (${rt.runtime})`;
  return undefined;
}

/** Parse an extension module's ABI tag from its file name: foo.cpython-311-x86_64-linux-gnu.so. */
export function extensionTag(path: string): { python: string; platform: string } | "abi3" | undefined {
  const name = path.split("/").pop()!;
  if (/\.abi3\.so$/.test(name)) return "abi3";
  const m = /\.cpython-(\d+)[a-z]*-(.+)\.so$/.exec(name);
  if (m) return { python: m[1]!, platform: m[2]! };
  const pypy = /\.(pypy\d*-[^.]+)\.so$/.exec(name);
  if (pypy) return { python: pypy[1]!, platform: "pypy" };
  return undefined;
}

/** The importable top-level names per Python path root (python/ or python/lib/python3.X/site-packages/). */
export function topLevelModules(paths: string[]): Record<string, string[]> {
  const roots: Record<string, Set<string>> = {};
  for (const path of paths) {
    const site = SITE_PACKAGES.exec(path);
    const root = site ? site[0] : path.startsWith("python/") ? "python/" : undefined;
    if (!root) continue;
    const rest = path.slice(root.length);
    if (!site && rest.startsWith("lib/python")) continue;
    const parts = rest.split("/");
    roots[root] ??= new Set();
    const set = roots[root];
    let name: string | undefined;
    if (parts.length === 1) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(\.py|\.abi3\.so|\.cpython-[^.]+\.so|\.so)$/.exec(parts[0]!);
      name = m?.[1];
    } else if (/\.(py|so)$/.test(parts[parts.length - 1]!)) {
      name = parts[0];
    }
    if (name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== "__pycache__" && name !== "bin")
      set.add(name);
  }
  return Object.fromEntries(Object.entries(roots).map(([k, v]) => [k, [...v].sort()]));
}

/** What the checks of one layer collect, in the order they are reported. */
interface Findings {
  errors: string[];
  warnings: string[];
  /** WHEEL-tag findings come after the binaries': the .so that fails to load is the precise message. */
  tagErrors: string[];
  sharedObjects: ValidationReport["sharedObjects"];
  /** site-packages versions already reported as not targeted (one error each). */
  wrongSite: Set<string>;
}

interface CheckScope {
  target: ValidationTarget;
  targets: PythonRuntime[];
  arch: (typeof ARCH_FACTS)[Architecture];
  /** The layer ships its own libstdc++.so.6, which the loader uses instead of the runtime's. */
  shipsLibstdcxx: boolean;
}

function runtimesOf(target: ValidationTarget): PythonRuntime[] {
  return target.pythonVersions.map((v) => {
    const rt = PYTHON_RUNTIMES[v];
    if (!rt) throw new Error(`unknown Python version ${v}`);
    return rt;
  });
}

/** Files outside python/ and an empty python/. */
function checkLayout(entries: LayerEntry[], pythonFiles: LayerEntry[], f: Findings): void {
  const outside = entries.filter((e) => !e.path.startsWith("python/"));
  if (outside.length > 0) {
    const first = outside[0]!.path;
    if (/^(lib|bin)\//.test(first)) {
      f.warnings.push(
        `${outside.length} file(s) outside python/ (e.g. ${first}): not on Python's path, only on Lambda's PATH/LD_LIBRARY_PATH`,
      );
    } else {
      f.errors.push(
        `${first}: outside python/; a Python layer's packages must be under python/ (Lambda adds /opt/python to sys.path)`,
      );
    }
  }
  if (pythonFiles.length === 0) f.errors.push("python/: the layer has no files under python/ (empty layer)");
}

/** A Windows or macOS binary recognised by its file name; true when the entry is done with. */
function foreignByName(path: string, scope: CheckScope, f: Findings): boolean {
  const name = path.split("/").pop()!;
  const wheel = `a manylinux ${scope.arch.machine} wheel`;
  if (/\.(pyd|dll|exe)$/i.test(name)) {
    f.errors.push(
      `${path}: a Windows binary (.${name.split(".").pop()}); Lambda runs Linux, it needs ${wheel}`,
    );
    return true;
  }
  if (/\.dylib$/i.test(name) || /-darwin\.so$/.test(name)) {
    f.errors.push(`${path}: a macOS binary; Lambda runs Linux, it needs ${wheel}`);
    return true;
  }
  return false;
}

/** A wheel's WHEEL file: does any of its tags fit each runtime? */
function checkWheelTags(entry: LayerEntry, rts: PythonRuntime[], scope: CheckScope, f: Findings): void {
  const tags = entry
    .content!.toString("utf8")
    .split(/\r?\n/)
    .filter((l) => l.startsWith("Tag:"))
    .map((l) => l.slice(4).trim());
  for (const rt of rts) {
    const problems = tags.map((t) => wheelTagProblem(t, rt, scope.target.arch));
    if (tags.length > 0 && problems.every((p) => p !== undefined)) {
      f.tagErrors.push(`${entry.path}: wheel tagged ${tags.join(", ")}: ${problems[0]}`);
    }
  }
}

/** An extension module's file-name ABI tag against the runtimes and the architecture. */
function checkExtensionTag(path: string, rts: PythonRuntime[], scope: CheckScope, f: Findings): void {
  const tag = extensionTag(path);
  if (!tag || tag === "abi3") return;
  if (tag.platform === "pypy") {
    f.errors.push(`${path}: built for PyPy (${tag.python}); Lambda runs CPython`);
    return;
  }
  for (const rt of rts) {
    if (tag.python !== rt.abiVersion) {
      f.errors.push(
        `${path}: built for CPython ${tag.python.replace(/^3/, "3.")} (ABI tag cpython-${tag.python}) but ${lambdaName(rt)} needs cpython-${rt.abiVersion}`,
      );
    }
  }
  const { machine } = scope.arch;
  if (tag.platform !== `${machine}-linux-gnu`) {
    f.errors.push(
      `${path}: ABI tag platform ${tag.platform} but the layer targets ${machine}-linux-gnu (Lambda ${scope.target.arch})`,
    );
  }
}

/** The shared object's bytes parsed as ELF, or an error for any other format. */
function parseSharedObject(
  path: string,
  content: Buffer,
  scope: CheckScope,
  f: Findings,
): ElfInfo | undefined {
  const kind = binaryKind(content);
  const wheel = `a manylinux ${scope.arch.machine} wheel`;
  if (kind === "mach-o")
    f.errors.push(`${path}: a macOS (Mach-O) binary; Lambda runs Linux, it needs ${wheel}`);
  else if (kind === "pe")
    f.errors.push(`${path}: a Windows (PE) binary; Lambda runs Linux, it needs ${wheel}`);
  else if (kind !== "elf")
    f.errors.push(`${path}: not an ELF shared object (unknown format); Lambda cannot load it`);
  if (kind !== "elf") return undefined;
  try {
    return readElf(content);
  } catch (err) {
    if (!(err instanceof ElfFormatError)) throw err;
    f.errors.push(`${path}: unreadable ELF file (${err.message})`);
    return undefined;
  }
}

/** CPU, libc flavour, glibc and libstdc++ symbol versions of one shared object against each runtime. */
function checkSharedObject(
  path: string,
  content: Buffer,
  rts: PythonRuntime[],
  scope: CheckScope,
  f: Findings,
): void {
  const elf = parseSharedObject(path, content, scope, f);
  if (!elf) return;
  const newest = newestGlibcNeeded(elf);
  const glibcxx = newestVersionNeeded(elf, LIBSTDCXX, "GLIBCXX");
  f.sharedObjects.push({
    path,
    machine: elf.machineName,
    glibc: newest ? formatGlibc(newest.version) : undefined,
    ...(glibcxx ? { glibcxx: glibcxx.version.join(".") } : {}),
  });
  if (elf.machine !== scope.arch.elfMachine) {
    f.errors.push(
      `${path}: built for ${elf.machineName} but the layer targets ${scope.arch.machine} (Lambda ${scope.target.arch})`,
    );
    return;
  }
  const musl = elf.needed.find((n) => n.startsWith("libc.musl"));
  if (musl) {
    f.errors.push(
      `${path}: linked against musl libc (${musl}, an Alpine/musllinux build); Lambda's Linux uses glibc`,
    );
    return;
  }
  if (!elf.hasSections)
    f.warnings.push(`${path}: no section headers, so its glibc needs could not be checked`);
  for (const rt of rts) {
    if (newest && compareVersions(newest.version, rt.glibc) > 0) {
      f.errors.push(`${path}: needs ${newest.name} but ${lambdaName(rt)} has glibc ${formatGlibc(rt.glibc)}`);
    }
    // A libstdc++ the layer ships itself (under that very name, found through the file's RPATH)
    // is what the loader uses instead of the runtime's.
    if (!scope.shipsLibstdcxx) f.errors.push(...libstdcxxProblems(path, elf, rt));
  }
}

/** One file of the layer: where it is installed, what kind of binary it is, what it needs. */
function checkEntry(entry: LayerEntry, scope: CheckScope, f: Findings): void {
  const { path } = entry;
  const rts = runtimesFor(path, scope.targets);
  if (typeof rts === "string") {
    if (!f.wrongSite.has(rts)) {
      f.wrongSite.add(rts);
      f.errors.push(
        `${path}: installed for Python ${rts} (python/lib/python${rts}/site-packages) but the layer targets ${scope.targets.map((t) => t.runtime).join(", ")}`,
      );
    }
    return;
  }
  if (foreignByName(path, scope, f)) return;
  if (entry.symlink) return; // the file it names is an entry of its own (links never leave the layer)
  if (/\.dist-info\/WHEEL$/.test(path) && entry.content) {
    checkWheelTags(entry, rts, scope, f);
    return;
  }
  if (!isSharedObject(path)) return;
  checkExtensionTag(path, rts, scope, f);
  if (entry.content) checkSharedObject(path, entry.content, rts, scope, f);
}

/** The unzipped size with the functions' other bytes, against Lambda's limit. */
function checkSize(unzippedBytes: number, target: ValidationTarget, f: Findings): number {
  const otherBytes = target.otherBytes ?? 0;
  const limit = target.limitBytes ?? LAMBDA_UNZIPPED_LIMIT_BYTES;
  const totalBytes = unzippedBytes + otherBytes;
  const others =
    otherBytes > 0
      ? ` + ${formatBytes(otherBytes)} ${target.otherDescription ?? "other layers and function code"}`
      : "";
  const sum = `unzipped ${formatBytes(unzippedBytes)}${others} = ${formatBytes(totalBytes)}`;
  if (totalBytes > limit) {
    f.errors.push(
      `(size): ${sum} exceeds Lambda's ${formatBytes(limit)} limit for a function and its layers`,
    );
  } else if (totalBytes > (limit * (target.warnAtPercent ?? 80)) / 100) {
    f.warnings.push(
      `${sum} is ${Math.round((totalBytes / limit) * 100)}% of Lambda's ${formatBytes(limit)} limit`,
    );
  }
  return totalBytes;
}

export function validateLayerEntries(entries: LayerEntry[], target: ValidationTarget): ValidationReport {
  const f: Findings = { errors: [], warnings: [], tagErrors: [], sharedObjects: [], wrongSite: new Set() };
  const scope: CheckScope = {
    target,
    targets: runtimesOf(target),
    arch: ARCH_FACTS[target.arch],
    shipsLibstdcxx: entries.some((e) => e.path.split("/").pop() === LIBSTDCXX),
  };
  const pythonFiles = entries.filter((e) => e.path.startsWith("python/"));
  checkLayout(entries, pythonFiles, f);
  for (const entry of entries) checkEntry(entry, scope, f);
  f.errors.push(...f.tagErrors);
  const unzippedBytes = entries.reduce((n, e) => n + e.size, 0);
  const totalBytes = checkSize(unzippedBytes, target, f);
  const topLevel = topLevelModules(pythonFiles.map((e) => e.path));
  if (pythonFiles.length > 0 && Object.values(topLevel).every((v) => v.length === 0)) {
    f.errors.push("python/: no importable package or module (no .py or extension module at the top level)");
  }
  const { errors, warnings, sharedObjects } = f;
  return { errors, warnings, unzippedBytes, totalBytes, files: entries.length, sharedObjects, topLevel };
}
