import { describe, expect, it } from "vitest";
import { EM_AARCH64, EM_X86_64 } from "../src/elf.ts";
import { PYTHON_RUNTIMES } from "../src/runtimes.ts";
import { topLevelModules, validateLayerEntries, wheelTagProblem } from "../src/validate.ts";
import type { LayerEntry } from "../src/zip-read.ts";
import { GLIBC_OLD, MACHO_64, makeElf, PE } from "./fixtures.ts";

const so = (path: string, content: Buffer): LayerEntry => ({ path, size: content.length, content });
const file = (path: string, size = 100, text?: string): LayerEntry => ({
  path,
  size,
  ...(text ? { content: Buffer.from(text) } : {}),
});
const wheel = (dist: string, tag: string) =>
  file(`python/${dist}.dist-info/WHEEL`, 80, `Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: ${tag}\n`);

const GOOD = [
  file("python/pydantic/__init__.py"),
  wheel("pydantic_core-2.46.5", "cp311-cp311-manylinux_2_17_x86_64"),
  file("python/pydantic_core/__init__.py"),
  so(
    "python/pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so",
    makeElf({ machine: EM_X86_64, versions: GLIBC_OLD }),
  ),
];
const py311 = { pythonVersions: ["3.11"], arch: "x86_64" as const };

describe("layer validation", () => {
  it("accepts a manylinux x86_64 CPython 3.11 layer and lists its top-level packages", () => {
    const r = validateLayerEntries(GOOD, py311);
    expect(r.errors).toEqual([]);
    expect(r.sharedObjects).toEqual([{ path: GOOD[3]!.path, machine: "x86_64", glibc: "2.14" }]);
    expect(r.topLevel).toEqual({ "python/": ["pydantic", "pydantic_core"] });
  });

  it("refuses a .so built for the wrong CPU, naming the file and both architectures", () => {
    const r = validateLayerEntries(
      [
        file("python/m/__init__.py"),
        so("python/m/_m.abi3.so", makeElf({ machine: EM_AARCH64, versions: GLIBC_OLD })),
      ],
      py311,
    );
    expect(r.errors).toEqual([
      "python/m/_m.abi3.so: built for aarch64 but the layer targets x86_64 (Lambda x86_64)",
    ]);
  });

  it("refuses the wrong Python ABI from the extension's file name", () => {
    const r = validateLayerEntries(
      [
        file("python/m/__init__.py"),
        so("python/m/_m.cpython-312-x86_64-linux-gnu.so", makeElf({ machine: EM_X86_64 })),
      ],
      py311,
    );
    expect(r.errors).toEqual([
      "python/m/_m.cpython-312-x86_64-linux-gnu.so: built for CPython 3.12 (ABI tag cpython-312) but Lambda python3.11 (Amazon Linux 2) needs cpython-311",
    ]);
  });

  it("refuses a .so needing a newer glibc than the runtime: GLIBC_2.28 on python3.11 (2.26), fine on python3.12 (2.34)", () => {
    const entries = [
      file("python/m/__init__.py"),
      so(
        "python/m/_m.abi3.so",
        makeElf({ machine: EM_X86_64, versions: { "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.28"] } }),
      ),
    ];
    expect(validateLayerEntries(entries, py311).errors).toEqual([
      "python/m/_m.abi3.so: needs GLIBC_2.28 but Lambda python3.11 (Amazon Linux 2) has glibc 2.26",
    ]);
    expect(validateLayerEntries(entries, { pythonVersions: ["3.12"], arch: "x86_64" }).errors).toEqual([]);
  });

  it("refuses a C++ extension needing a newer libstdc++ than the runtime's (GLIBCXX and CXXABI)", () => {
    // Built with Debian trixie's GCC 14: imports there, not on Lambda's GCC 7 (AL2) or GCC 11 (AL2023) libstdc++.
    const cxx = (versions: string[]) => [
      file("python/m/__init__.py"),
      so(
        "python/m/_m.abi3.so",
        makeElf({
          machine: EM_X86_64,
          versions: { "libc.so.6": ["GLIBC_2.2.5"], "libstdc++.so.6": ["GLIBCXX_3.4", ...versions] },
        }),
      ),
    ];
    const trixie = cxx(["GLIBCXX_3.4.32", "CXXABI_1.3.15", "CXXABI_TM_1"]);
    expect(validateLayerEntries(trixie, { pythonVersions: ["3.12"], arch: "x86_64" }).errors).toEqual([
      "python/m/_m.abi3.so: needs GLIBCXX_3.4.32 from libstdc++.so.6 but Lambda python3.12 (Amazon Linux 2023) has GLIBCXX up to GLIBCXX_3.4.29 (the libstdc++ of its GCC 11)",
      "python/m/_m.abi3.so: needs CXXABI_1.3.15 from libstdc++.so.6 but Lambda python3.12 (Amazon Linux 2023) has CXXABI up to CXXABI_1.3.13 (the libstdc++ of its GCC 11)",
    ]);
    // GCC 11's own symbols: fine on AL2023 (python3.12-3.14), too new for AL2's GCC 7.3 (python3.11).
    const gcc11 = cxx(["GLIBCXX_3.4.29", "CXXABI_1.3.13"]);
    expect(
      validateLayerEntries(gcc11, { pythonVersions: ["3.12", "3.13", "3.14"], arch: "x86_64" }).errors,
    ).toEqual([]);
    expect(validateLayerEntries(gcc11, py311).errors).toEqual([
      "python/m/_m.abi3.so: needs GLIBCXX_3.4.29 from libstdc++.so.6 but Lambda python3.11 (Amazon Linux 2) has GLIBCXX up to GLIBCXX_3.4.24 (the libstdc++ of its GCC 7.3)",
      "python/m/_m.abi3.so: needs CXXABI_1.3.13 from libstdc++.so.6 but Lambda python3.11 (Amazon Linux 2) has CXXABI up to CXXABI_1.3.11 (the libstdc++ of its GCC 7.3)",
    ]);
    // manylinux2014's ceiling (GLIBCXX_3.4.19, CXXABI_1.3.7) loads everywhere.
    expect(validateLayerEntries(cxx(["GLIBCXX_3.4.19", "CXXABI_1.3.7"]), py311).errors).toEqual([]);
    const report = validateLayerEntries(gcc11, py311);
    expect(report.sharedObjects[0]).toMatchObject({ glibcxx: "3.4.29" });
  });

  it("accepts newer libstdc++ needs when the layer ships its own libstdc++.so.6 (or a renamed, bundled one)", () => {
    const needs = (library: string) =>
      so("python/m/_m.abi3.so", makeElf({ machine: EM_X86_64, versions: { [library]: ["GLIBCXX_3.4.32"] } }));
    const bundled = [
      file("python/m/__init__.py"),
      needs("libstdc++.so.6"),
      file("python/m.libs/libstdc++.so.6"),
    ];
    expect(validateLayerEntries(bundled, py311).errors).toEqual([]);
    const renamed = [file("python/m/__init__.py"), needs("libstdc++-1a2b3c4d.so.6.0.32")];
    expect(validateLayerEntries(renamed, py311).errors).toEqual([]);
  });

  it("knows python3.11 to 3.14: AL2 with glibc 2.26, AL2023 with glibc 2.34", () => {
    expect(
      Object.values(PYTHON_RUNTIMES).map((r) => `${r.runtime} ${r.os} ${r.glibc.join(".")} ${r.cpTag}`),
    ).toEqual([
      "python3.11 Amazon Linux 2 2.26 cp311",
      "python3.12 Amazon Linux 2023 2.34 cp312",
      "python3.13 Amazon Linux 2023 2.34 cp313",
      "python3.14 Amazon Linux 2023 2.34 cp314",
    ]);
    const entries = [
      file("python/m/__init__.py"),
      so("python/m/_m.cpython-313-x86_64-linux-gnu.so", makeElf({ machine: EM_X86_64, versions: GLIBC_OLD })),
    ];
    expect(validateLayerEntries(entries, { pythonVersions: ["3.13"], arch: "x86_64" }).errors).toEqual([]);
    expect(validateLayerEntries(entries, { pythonVersions: ["3.14"], arch: "x86_64" }).errors).toEqual([
      "python/m/_m.cpython-313-x86_64-linux-gnu.so: built for CPython 3.13 (ABI tag cpython-313) but Lambda python3.14 (Amazon Linux 2023) needs cpython-314",
    ]);
  });

  it("refuses wheels for the wrong OS: Windows .pyd, macOS Mach-O and .dylib, musl, and macOS/Windows WHEEL tags", () => {
    const r = validateLayerEntries(
      [
        file("python/w/__init__.py"),
        file("python/w/_w.cp311-win_amd64.pyd", 1000),
        so("python/mac/_mac.cpython-311-darwin.so", MACHO_64),
        so("python/mac2/_mac2.so", MACHO_64),
        file("python/mac2/libfoo.dylib"),
        so("python/pe/_pe.so", PE),
        so("python/alp/_alp.so", makeElf({ machine: EM_X86_64, needed: ["libc.musl-x86_64.so.1"] })),
        wheel("mac2-1.0", "cp311-cp311-macosx_11_0_arm64"),
        wheel("w-1.0", "cp311-cp311-win_amd64"),
      ],
      py311,
    );
    expect([...r.errors].sort()).toEqual(
      [
        "python/alp/_alp.so: linked against musl libc (libc.musl-x86_64.so.1, an Alpine/musllinux build); Lambda's Linux uses glibc",
        "python/mac/_mac.cpython-311-darwin.so: a macOS binary; Lambda runs Linux, it needs a manylinux x86_64 wheel",
        "python/mac2-1.0.dist-info/WHEEL: wheel tagged cp311-cp311-macosx_11_0_arm64: a macOS wheel (macosx_11_0_arm64); Lambda runs Linux",
        "python/mac2/_mac2.so: a macOS (Mach-O) binary; Lambda runs Linux, it needs a manylinux x86_64 wheel",
        "python/mac2/libfoo.dylib: a macOS binary; Lambda runs Linux, it needs a manylinux x86_64 wheel",
        "python/pe/_pe.so: a Windows (PE) binary; Lambda runs Linux, it needs a manylinux x86_64 wheel",
        "python/w-1.0.dist-info/WHEEL: wheel tagged cp311-cp311-win_amd64: a Windows wheel (win_amd64); Lambda runs Linux",
        "python/w/_w.cp311-win_amd64.pyd: a Windows binary (.pyd); Lambda runs Linux, it needs a manylinux x86_64 wheel",
      ].sort(),
    );
  });

  it("checks WHEEL tags for glibc, CPU and Python version", () => {
    const rt = PYTHON_RUNTIMES["3.11"]!;
    expect(wheelTagProblem("cp311-abi3-manylinux_2_34_x86_64", rt, "x86_64")).toBe(
      "needs glibc 2.34 (manylinux_2_34_x86_64) but Lambda python3.11 (Amazon Linux 2) has glibc 2.26",
    );
    expect(wheelTagProblem("cp311-cp311-manylinux2014_aarch64", rt, "x86_64")).toBe(
      "built for aarch64 (manylinux2014_aarch64), the layer targets x86_64",
    );
    expect(wheelTagProblem("cp312-cp312-manylinux_2_17_x86_64", rt, "x86_64")).toMatch(
      /CPython 3.12 .* targets python3.11/,
    );
    expect(wheelTagProblem("cp38-abi3-manylinux_2_17_x86_64", rt, "x86_64")).toBeUndefined();
    expect(wheelTagProblem("py3-none-any", rt, "x86_64")).toBeUndefined();
    expect(wheelTagProblem("cp311-cp311-musllinux_1_1_x86_64", rt, "x86_64")).toMatch(/musl/);
  });

  it("counts UNZIPPED size with the other layers against 250 MB: warns past the threshold, refuses past the limit", () => {
    const big = [file("python/a/__init__.py", 150 * 1024 * 1024)];
    const warn = validateLayerEntries(big, { ...py311, otherBytes: 60 * 1024 * 1024, warnAtPercent: 80 });
    expect(warn.errors).toEqual([]);
    expect(warn.warnings[0]).toMatch(/84% of Lambda's 262.1 MB limit/);
    const over = validateLayerEntries(big, {
      ...py311,
      otherBytes: 101 * 1024 * 1024,
      otherDescription: "(observability)",
    });
    expect(over.errors[0]).toMatch(
      /^\(size\): unzipped 157.3 MB \+ 105.9 MB \(observability\) = 263.2 MB exceeds Lambda's 262.1 MB limit/,
    );
  });

  it("refuses an empty layer, files outside python/, and site-packages of an untargeted version", () => {
    expect(validateLayerEntries([], py311).errors).toEqual([
      "python/: the layer has no files under python/ (empty layer)",
    ]);
    expect(validateLayerEntries([file("mypkg/__init__.py")], py311).errors[0]).toMatch(
      /^mypkg\/__init__.py: outside python\//,
    );
    const r = validateLayerEntries([file("python/lib/python3.10/site-packages/x/__init__.py")], py311);
    expect(r.errors[0]).toMatch(/installed for Python 3.10 .* targets python3.11/);
  });

  it("finds top-level modules per path root, skipping metadata, bytecode and scripts", () => {
    expect(
      topLevelModules([
        "python/typing_extensions.py",
        "python/pkg/__init__.py",
        "python/pkg-1.0.dist-info/METADATA",
        "python/bin/script.py",
        "python/_speedups.cpython-311-x86_64-linux-gnu.so",
        "python/lib/python3.12/site-packages/other/__init__.py",
      ]),
    ).toEqual({
      "python/": ["_speedups", "pkg", "typing_extensions"],
      "python/lib/python3.12/site-packages/": ["other"],
    });
  });
});
