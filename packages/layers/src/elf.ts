/**
 * A minimal ELF reader, just enough to check a shared object against a Lambda runtime: its CPU
 * (e_machine), the libraries it needs (DT_NEEDED) and the symbol versions it needs from them
 * (.gnu.version_r, e.g. GLIBC_2.28 from libc.so.6).
 *
 * Why our own reader instead of `readelf -V`: validation runs before publishing on whatever machine
 * the developer uses (macOS and Windows have no binutils), and on the zip itself without unpacking
 * it. The format parts we need are small and stable (System V gABI + the GNU versioning sections).
 */

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine, e.g. 62 (x86-64) or 183 (AArch64). */
  machine: number;
  machineName: string;
  /** DT_NEEDED entries: the shared libraries it links against. */
  needed: string[];
  /** Versions needed per library, from .gnu.version_r: { "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.14"] }. */
  versionsNeeded: Record<string, string[]>;
  /** False when the file has no section headers (sstripped), so needs could not be read. */
  hasSections: boolean;
}

export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const MACHINE_NAMES: Record<number, string> = {
  [EM_386]: "x86 (32-bit)",
  [EM_ARM]: "arm (32-bit)",
  [EM_X86_64]: "x86_64",
  [EM_AARCH64]: "aarch64",
  8: "mips",
  20: "ppc",
  21: "ppc64",
  22: "s390x",
  243: "riscv",
};

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `unknown machine ${machine}`;
}

const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NULL = 0;
const DT_NEEDED = 1;

export type BinaryKind = "elf" | "mach-o" | "pe" | "unknown";

/** What kind of binary a buffer holds, by its magic number. */
export function binaryKind(buf: Uint8Array): BinaryKind {
  if (buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46)
    return "elf";
  if (buf.length >= 2 && buf[0] === 0x4d && buf[1] === 0x5a) return "pe";
  if (buf.length >= 4) {
    const be = ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
    const le = ((buf[3]! << 24) | (buf[2]! << 16) | (buf[1]! << 8) | buf[0]!) >>> 0;
    const macho = [0xfeedface, 0xfeedfacf, 0xcafebabe];
    if (macho.includes(be) || macho.includes(le)) return "mach-o";
  }
  return "unknown";
}

export class ElfFormatError extends Error {}

/** Bounds-checked reads of an ELF file in its own byte order and word size. */
class ElfBytes {
  readonly buf: Buffer;
  readonly bits: 32 | 64;
  readonly le: boolean;

  constructor(buf: Buffer, bits: 32 | 64, le: boolean) {
    this.buf = buf;
    this.bits = bits;
    this.le = le;
  }

  need(off: number, len: number): void {
    if (off < 0 || off + len > this.buf.length) throw new ElfFormatError("truncated ELF file");
  }

  u16(off: number): number {
    this.need(off, 2);
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }

  u32(off: number): number {
    this.need(off, 4);
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }

  u64(off: number): number {
    this.need(off, 8);
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError("offset out of range");
    return Number(v);
  }

  /** An address-sized value (Elf32_Addr/Elf64_Xword). */
  word(off: number): number {
    return this.bits === 64 ? this.u64(off) : this.u32(off);
  }

  cstr(off: number): string {
    this.need(off, 1);
    const end = this.buf.indexOf(0, off);
    if (end < 0) throw new ElfFormatError("unterminated string");
    return this.buf.toString("latin1", off, end);
  }
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

/** The identification bytes: class (32/64-bit) and data encoding (byte order). */
function elfIdentity(buf: Buffer): ElfBytes {
  if (binaryKind(buf) !== "elf") throw new ElfFormatError("not an ELF file");
  if (buf.length < 52) throw new ElfFormatError("truncated ELF header");
  const cls = buf[4];
  const data = buf[5];
  if (cls !== 1 && cls !== 2) throw new ElfFormatError(`bad ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfFormatError(`bad ELF data encoding ${data}`);
  return new ElfBytes(buf, cls === 2 ? 64 : 32, data === 1);
}

function readSections(r: ElfBytes, shoff: number, shentsize: number, shnum: number): Section[] {
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    r.need(at, r.bits === 64 ? 64 : 40);
    sections.push(
      r.bits === 64
        ? {
            type: r.u32(at + 4),
            offset: r.u64(at + 24),
            size: r.u64(at + 32),
            link: r.u32(at + 40),
            info: r.u32(at + 44),
          }
        : {
            type: r.u32(at + 4),
            offset: r.u32(at + 16),
            size: r.u32(at + 20),
            link: r.u32(at + 24),
            info: r.u32(at + 28),
          },
    );
  }
  return sections;
}

/** A reader of the string table a section links to. */
function linkedStrings(r: ElfBytes, sections: Section[], s: Section): (off: number) => string {
  const strtab = sections[s.link];
  if (!strtab) throw new ElfFormatError("section links to a missing string table");
  return (off: number) => r.cstr(strtab.offset + off);
}

/** DT_NEEDED entries of a SHT_DYNAMIC section. */
function neededLibraries(r: ElfBytes, s: Section, str: (off: number) => string): string[] {
  const needed: string[] = [];
  const entsize = r.bits === 64 ? 16 : 8;
  for (let at = s.offset; at + entsize <= s.offset + s.size; at += entsize) {
    const tag = r.word(at);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) needed.push(str(r.word(at + entsize / 2)));
  }
  return needed;
}

/** The Verneed entries of .gnu.version_r, each followed by vn_cnt Vernaux entries (sh_info counts them). */
function versionsNeeded(
  r: ElfBytes,
  s: Section,
  str: (off: number) => string,
  into: Record<string, string[]>,
): void {
  let at = s.offset;
  for (let i = 0; i < s.info; i++) {
    const cnt = r.u16(at + 2);
    const file = str(r.u32(at + 4));
    into[file] ??= [];
    const versions = into[file];
    let aux = at + r.u32(at + 8);
    for (let j = 0; j < cnt; j++) {
      versions.push(str(r.u32(aux + 8)));
      const nextAux = r.u32(aux + 12);
      if (nextAux === 0) break;
      aux += nextAux;
    }
    const next = r.u32(at + 12);
    if (next === 0) break;
    at += next;
  }
}

/** Parse the parts of an ELF file we check. Throws ElfFormatError on a truncated or foreign file. */
export function readElf(input: Uint8Array): ElfInfo {
  const r = elfIdentity(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  const machine = r.u16(18);
  if (r.bits === 64) r.need(0, 64);
  const shoff = r.bits === 64 ? r.u64(0x28) : r.u32(0x20);
  const shentsize = r.u16(r.bits === 64 ? 0x3a : 0x2e);
  const shnum = r.u16(r.bits === 64 ? 0x3c : 0x30);

  const info: ElfInfo = {
    bits: r.bits,
    littleEndian: r.le,
    machine,
    machineName: machineName(machine),
    needed: [],
    versionsNeeded: {},
    hasSections: shoff !== 0 && shnum !== 0,
  };
  if (!info.hasSections) return info;

  const sections = readSections(r, shoff, shentsize, shnum);
  for (const s of sections) {
    if (s.type === SHT_DYNAMIC) info.needed.push(...neededLibraries(r, s, linkedStrings(r, sections, s)));
    if (s.type === SHT_GNU_VERNEED) versionsNeeded(r, s, linkedStrings(r, sections, s), info.versionsNeeded);
  }
  return info;
}

/** A glibc version as [major, minor], comparable with compareVersions. */
export type GlibcVersion = [number, number];

export function parseGlibcVersion(text: string): GlibcVersion | undefined {
  const m = /^(?:GLIBC_)?(\d+)\.(\d+)(?:\.\d+)?$/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function compareVersions(a: GlibcVersion, b: GlibcVersion): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The newest GLIBC_x.y symbol version the file needs (from any library), with the symbol version name. */
export function newestGlibcNeeded(info: ElfInfo): { version: GlibcVersion; name: string } | undefined {
  let best: { version: GlibcVersion; name: string } | undefined;
  for (const versions of Object.values(info.versionsNeeded)) {
    for (const name of versions) {
      if (!name.startsWith("GLIBC_")) continue; // GLIBC_PRIVATE, GLIBCXX_*, GCC_* are not glibc releases
      const v = parseGlibcVersion(name);
      if (v && (!best || compareVersions(v, best.version) > 0)) best = { version: v, name };
    }
  }
  return best;
}

/** A symbol version's numbers: [3, 4, 29] for GLIBCXX_3.4.29, [1, 3, 13] for CXXABI_1.3.13. */
export type SymbolVersion = number[];

/** `<prefix>_x.y[.z]` as numbers; undefined for other names (CXXABI_TM_1, GLIBCXX_LDBL_3.4). */
export function parseSymbolVersion(name: string, prefix: string): SymbolVersion | undefined {
  if (!name.startsWith(`${prefix}_`)) return undefined;
  const rest = name.slice(prefix.length + 1);
  return /^\d+(\.\d+)*$/.test(rest) ? rest.split(".").map(Number) : undefined;
}

export function compareSymbolVersions(a: SymbolVersion, b: SymbolVersion): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The newest `<prefix>_x.y.z` version the file needs from one library (e.g. GLIBCXX from
 * libstdc++.so.6). Only that library's entry counts: a wheel that bundles its own, renamed
 * libstdc++ (auditwheel's libstdc++-<hash>.so.6) needs nothing of the runtime's.
 */
export function newestVersionNeeded(
  info: ElfInfo,
  library: string,
  prefix: string,
): { version: SymbolVersion; name: string } | undefined {
  let best: { version: SymbolVersion; name: string } | undefined;
  for (const name of info.versionsNeeded[library] ?? []) {
    const v = parseSymbolVersion(name, prefix);
    if (v && (!best || compareSymbolVersions(v, best.version) > 0)) best = { version: v, name };
  }
  return best;
}
