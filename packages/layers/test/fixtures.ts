/**
 * Test fixtures: tiny but well-formed ELF shared objects (64-bit little-endian), so the negative
 * cases (wrong CPU, newer glibc, musl) are exercised on real bytes without shipping binaries.
 */
export interface ElfSpec {
  machine: number;
  needed?: string[];
  /** library -> symbol versions needed from it, e.g. { "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.28"] } */
  versions?: Record<string, string[]>;
}

export function makeElf(spec: ElfSpec): Buffer {
  const needed = spec.needed ?? Object.keys(spec.versions ?? {});
  const versions = Object.entries(spec.versions ?? {});
  const strings = ["", ...new Set([...needed, ...versions.flatMap(([f, vs]) => [f, ...vs])])];
  const strOffset = new Map<string, number>();
  let strtab = Buffer.alloc(0);
  for (const s of strings) {
    strOffset.set(s, strtab.length);
    strtab = Buffer.concat([strtab, Buffer.from(`${s}\0`, "latin1")]);
  }
  // .gnu.version_r: Verneed entries each followed by their Vernaux entries.
  const verneed: Buffer[] = [];
  versions.forEach(([file, vs], i) => {
    const head = Buffer.alloc(16);
    head.writeUInt16LE(1, 0);
    head.writeUInt16LE(vs.length, 2);
    head.writeUInt32LE(strOffset.get(file)!, 4);
    head.writeUInt32LE(16, 8);
    head.writeUInt32LE(i === versions.length - 1 ? 0 : 16 + 16 * vs.length, 12);
    verneed.push(head);
    vs.forEach((v, j) => {
      const aux = Buffer.alloc(16);
      aux.writeUInt32LE(0x0d696910 + j, 0);
      aux.writeUInt32LE(strOffset.get(v)!, 8);
      aux.writeUInt32LE(j === vs.length - 1 ? 0 : 16, 12);
      verneed.push(aux);
    });
  });
  const verneedBuf = Buffer.concat(verneed);
  const dynamic = Buffer.alloc(16 * (needed.length + 1));
  needed.forEach((n, i) => {
    dynamic.writeBigUInt64LE(1n, i * 16);
    dynamic.writeBigUInt64LE(BigInt(strOffset.get(n)!), i * 16 + 8);
  });

  const strAt = 64;
  const verAt = strAt + strtab.length;
  const dynAt = verAt + verneedBuf.length;
  const shAt = dynAt + dynamic.length;
  const sections = [
    { type: 0, offset: 0, size: 0, link: 0, info: 0 },
    { type: 3, offset: strAt, size: strtab.length, link: 0, info: 0 },
    { type: 0x6ffffffe, offset: verAt, size: verneedBuf.length, link: 1, info: versions.length },
    { type: 6, offset: dynAt, size: dynamic.length, link: 1, info: 0 },
  ];
  const sh = Buffer.alloc(64 * sections.length);
  sections.forEach((s, i) => {
    const o = i * 64;
    sh.writeUInt32LE(s.type, o + 4);
    sh.writeBigUInt64LE(BigInt(s.offset), o + 24);
    sh.writeBigUInt64LE(BigInt(s.size), o + 32);
    sh.writeUInt32LE(s.link, o + 40);
    sh.writeUInt32LE(s.info, o + 44);
  });
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header, 0);
  header.writeUInt16LE(3, 16); // ET_DYN
  header.writeUInt16LE(spec.machine, 18);
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(shAt), 0x28);
  header.writeUInt16LE(64, 0x34);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(sections.length, 0x3c);
  return Buffer.concat([header, strtab, verneedBuf, dynamic, sh]);
}

export const GLIBC_OLD = { "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.14"], "libm.so.6": ["GLIBC_2.2.5"] };
export const MACHO_64 = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0]);
export const PE = Buffer.from("MZ\x90\x00\x03\x00\x00\x00", "latin1");
