import { describe, expect, it } from "vitest";
import {
  binaryKind,
  compareSymbolVersions,
  EM_AARCH64,
  EM_X86_64,
  newestGlibcNeeded,
  newestVersionNeeded,
  parseGlibcVersion,
  parseSymbolVersion,
  readElf,
} from "../src/elf.ts";
import { GLIBC_OLD, MACHO_64, makeElf, PE } from "./fixtures.ts";

describe("ELF reader", () => {
  it("reads the machine, DT_NEEDED and .gnu.version_r of a shared object", () => {
    const elf = readElf(
      makeElf({
        machine: EM_X86_64,
        versions: GLIBC_OLD,
        needed: ["libc.so.6", "libm.so.6", "libgcc_s.so.1"],
      }),
    );
    expect(elf.bits).toBe(64);
    expect(elf.machineName).toBe("x86_64");
    expect(elf.needed).toEqual(["libc.so.6", "libm.so.6", "libgcc_s.so.1"]);
    expect(elf.versionsNeeded).toEqual({
      "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.14"],
      "libm.so.6": ["GLIBC_2.2.5"],
    });
    expect(newestGlibcNeeded(elf)).toEqual({ version: [2, 14], name: "GLIBC_2.14" });
  });

  it("names aarch64 and ignores GLIBC_PRIVATE and GLIBCXX when finding the newest glibc", () => {
    const elf = readElf(
      makeElf({
        machine: EM_AARCH64,
        versions: { "libc.so.6": ["GLIBC_PRIVATE", "GLIBC_2.17"], "libstdc++.so.6": ["GLIBCXX_3.4.30"] },
      }),
    );
    expect(elf.machineName).toBe("aarch64");
    expect(newestGlibcNeeded(elf)?.name).toBe("GLIBC_2.17");
  });

  it("tells ELF, Mach-O and PE apart and refuses truncated files", () => {
    expect(binaryKind(makeElf({ machine: EM_X86_64 }))).toBe("elf");
    expect(binaryKind(MACHO_64)).toBe("mach-o");
    expect(binaryKind(PE)).toBe("pe");
    expect(() => readElf(makeElf({ machine: EM_X86_64, versions: GLIBC_OLD }).subarray(0, 100))).toThrow(
      /truncated/,
    );
    expect(() => readElf(MACHO_64)).toThrow(/not an ELF/);
  });

  it("parses glibc versions with and without patch level", () => {
    expect(parseGlibcVersion("GLIBC_2.3.4")).toEqual([2, 3]);
    expect(parseGlibcVersion("GLIBC_2.34")).toEqual([2, 34]);
    expect(parseGlibcVersion("GLIBC_PRIVATE")).toBeUndefined();
  });

  it("finds the newest GLIBCXX and CXXABI needed from libstdc++.so.6 only, skipping CXXABI_TM and LDBL names", () => {
    const elf = readElf(
      makeElf({
        machine: EM_X86_64,
        versions: {
          "libstdc++.so.6": ["GLIBCXX_3.4.9", "GLIBCXX_3.4.21", "CXXABI_1.3", "CXXABI_TM_1", "CXXABI_1.3.8"],
          "libstdc++-deadbeef.so.6.0.33": ["GLIBCXX_3.4.33"],
        },
      }),
    );
    expect(newestVersionNeeded(elf, "libstdc++.so.6", "GLIBCXX")).toEqual({
      version: [3, 4, 21],
      name: "GLIBCXX_3.4.21",
    });
    expect(newestVersionNeeded(elf, "libstdc++.so.6", "CXXABI")?.name).toBe("CXXABI_1.3.8");
    expect(newestVersionNeeded(elf, "libc.so.6", "GLIBC")).toBeUndefined();
    expect(parseSymbolVersion("GLIBCXX_LDBL_3.4", "GLIBCXX")).toBeUndefined();
    expect(parseSymbolVersion("GLIBCXX_3.4", "GLIBCXX")).toEqual([3, 4]);
    expect(compareSymbolVersions([3, 4], [3, 4, 0])).toBe(0);
    expect(compareSymbolVersions([3, 4, 9], [3, 4, 10])).toBeLessThan(0);
  });
});
