import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { globToRegExp, removalReason, slimDirectory } from "../src/slim.ts";
import { listFiles } from "../src/zip.ts";

const DEFAULTS = { pycache: true, tests: true, distInfo: false, exclude: [] };

describe("slimming", () => {
  it("decides per path: bytecode and package tests go, dist-info and top-level packages stay", () => {
    expect(removalReason("pydantic/__pycache__", true, DEFAULTS, [])).toBe("__pycache__");
    expect(removalReason("six.pyc", false, DEFAULTS, [])).toBe("bytecode");
    expect(removalReason("numpy/tests", true, DEFAULTS, [])).toBe("tests");
    expect(removalReason("tests", true, DEFAULTS, [])).toBeUndefined();
    expect(removalReason("pydantic-2.13.5.dist-info", true, DEFAULTS, [])).toBeUndefined();
    expect(removalReason("pydantic-2.13.5.dist-info", true, { ...DEFAULTS, distInfo: true }, [])).toBe(
      "dist-info",
    );
    expect(removalReason("pydantic/tests", true, { ...DEFAULTS, tests: false }, [])).toBeUndefined();
  });

  it("matches exclude globs with * within a name and ** across folders", () => {
    expect(globToRegExp("**/*.pyi").test("pydantic/main.pyi")).toBe(true);
    expect(globToRegExp("**/*.pyi").test("main.pyi")).toBe(true);
    expect(globToRegExp("botocore/data/*").test("botocore/data/ec2")).toBe(true);
    expect(globToRegExp("botocore/data/*").test("botocore/data/ec2/x.json")).toBe(false);
  });

  it("slims a folder in place and reports sizes before and after", async () => {
    const root = await mkdtemp(join(tmpdir(), "prebake-slim-"));
    try {
      const put = async (rel: string, bytes: number) => {
        await mkdir(join(root, rel, ".."), { recursive: true });
        await writeFile(join(root, rel), "x".repeat(bytes));
      };
      await put("pkg/__init__.py", 10);
      await put("pkg/__pycache__/__init__.cpython-311.pyc", 100);
      await put("pkg/tests/test_pkg.py", 1000);
      await put("pkg-1.0.dist-info/METADATA", 5);
      await put("pkg/stubs.pyi", 7);
      const r = await slimDirectory(root, { ...DEFAULTS, exclude: ["**/*.pyi"] });
      expect(r.beforeBytes).toBe(1122);
      expect(r.afterBytes).toBe(15);
      expect(r.removed.map((x) => [x.path, x.reason])).toEqual([
        ["pkg/__pycache__", "__pycache__"],
        ["pkg/stubs.pyi", "exclude"],
        ["pkg/tests", "tests"],
      ]);
      expect(await listFiles(root)).toEqual(["pkg-1.0.dist-info/METADATA", "pkg/__init__.py"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
