import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import {
  cacheFolderOf,
  cacheFolders,
  cacheVolumeName,
  computeFindings,
  driverScript,
  FileSelector,
  PhaseTracker,
  parseBuildspec,
  parseJUnit,
  resolveRuntimeVersion,
  runtimeCommands,
  summarise,
  summaryLine,
} from "../src/index.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("artifact file selection (picomatch, as CodeBuild's agent reads the patterns)", () => {
  // The reference's own example: my-build-1/my-file-1.txt, my-build-2/{my-file-2.txt, my-subdirectory/my-file-3.txt}
  const tree = [
    "my-build-1/my-file-1.txt",
    "my-build-2/my-file-2.txt",
    "my-build-2/my-subdirectory/my-file-3.txt",
  ];
  const pick = (selector: FileSelector) => tree.flatMap((p) => selector.select(p) ?? []);

  it("base-directory leaves its own name out; files match below it", () => {
    expect(
      pick(
        new FileSelector({ files: ["*/my-file-3.txt"], baseDirectory: "my-build-2", discardPaths: false }),
      ),
    ).toEqual(["my-subdirectory/my-file-3.txt"]);
  });

  it("a base-directory glob takes every top-level folder it matches; discard-paths flattens", () => {
    expect(
      pick(new FileSelector({ files: ["**/*"], baseDirectory: "my-build*", discardPaths: true })),
    ).toEqual(["my-file-1.txt", "my-file-2.txt", "my-file-3.txt"]);
  });

  it("exclude-paths are relative to the base directory: * stays in one name, ** crosses folders", () => {
    const s = new FileSelector({
      files: ["**/*"],
      baseDirectory: "my-build-2",
      discardPaths: false,
      excludePaths: ["*.txt"],
    });
    expect(pick(s)).toEqual(["my-subdirectory/my-file-3.txt"]);
    const deep = new FileSelector({
      files: ["**/*"],
      discardPaths: false,
      excludePaths: ["**/my-subdirectory/**"],
    });
    expect(pick(deep)).toEqual(["my-build-1/my-file-1.txt", "my-build-2/my-file-2.txt"]);
  });

  it("dotfiles match; a pattern that matched nothing is reported; a missing base directory too", () => {
    const s = new FileSelector({ files: ["**/*", "*.zip"], discardPaths: false });
    expect(s.select("a/.env")).toBe("a/.env");
    expect(s.unmatched()).toEqual(["*.zip"]);
    const base = new FileSelector({ files: ["**/*"], baseDirectory: "dist", discardPaths: false });
    expect(base.select("src/a.js")).toBeUndefined();
    expect(base.baseMatched).toBe(false);
  });
});

describe("JUnit reports", () => {
  it("eunit_surefire (rebar3 eunit): each <testcase> counted; an assertion failure is an <error> there", () => {
    const cases = parseJUnit(fixture("eunit-surefire-TEST-demo.xml"));
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ["demo:0 add_test", "SUCCEEDED"],
      ["demo:0 fails_test", "ERROR"],
      ["demo:0 -skipped_test_/0-fun-0-", "SUCCEEDED"],
      ["demo:0 error_test", "ERROR"],
    ]);
    expect(cases[1]?.message).toBe("in function demo:fails_test/0 (demo.erl, line 4)");
  });

  it("cth_surefire (rebar3 ct): <testsuites> root, failures and skips with their messages", () => {
    const s = summarise("ct", 1, parseJUnit(fixture("ct-surefire-junit.xml")));
    expect(s.counts).toEqual({ SUCCEEDED: 3, FAILED: 1, ERROR: 0, SKIPPED: 1 });
    expect(s.problems.map((c) => `${c.status} ${c.name}: ${c.message}`)).toEqual([
      "FAILED fail_case: Test fail_case in demo_SUITE failed!",
      "SKIPPED skip_case: Test skip_case in demo_SUITE skipped!",
    ]);
    expect(summaryLine(s)).toBe(
      "report ct: 5 test cases, 3 succeeded, 1 failed, 0 errors, 1 skipped (1 file)",
    );
  });

  it("a file that is not JUnit XML is an error the runner turns into a warning", () => {
    expect(() => parseJUnit("<coverage line-rate='1'/>")).toThrow("no <testsuites> or <testsuite> element");
  });
});

describe("runtime-versions from the image's runtimes file", () => {
  const file = `version: 0.1
runtimes:
  python:
    versions:
      3.11:
        commands: [pyenv global $PYTHON_311_VERSION]
      3.12:
        commands: [pyenv global $PYTHON_312_VERSION]
  golang:
    versions:
      1.20:
        commands: [goenv global 1.20]
      1.21:
        commands: [goenv global 1.21]
`;
  const spec = (rv: string) =>
    parseBuildspec(
      `version: 0.2\nphases:\n  install:\n    runtime-versions:\n${rv}    commands: [x]\n`,
      "bs.yml",
    );

  it("resolves exact versions, N.x (newest N), latest and $VARIABLE", () => {
    const available = ["1.9", "1.10", "2.0", "default"];
    expect(resolveRuntimeVersion("1.10", available, {})).toBe("1.10");
    expect(resolveRuntimeVersion("1.x", available, {})).toBe("1.10");
    expect(resolveRuntimeVersion("latest", available, {})).toBe("2.0");
    expect(resolveRuntimeVersion("$V", available, { V: "1.9" })).toBe("1.9");
    expect(resolveRuntimeVersion("3.x", available, {})).toBeUndefined();
  });

  it("gives the selecting commands in order; 1.20 is read as the version 1.20, not the number 1.2", () => {
    expect(runtimeCommands(spec("      python: 3.x\n      golang: 1.20\n"), file, {})).toEqual([
      "pyenv global $PYTHON_312_VERSION",
      "goenv global 1.20",
    ]);
  });

  it("an unknown runtime is exit 3 naming its line and the image's runtimes", () => {
    const err = (() => {
      try {
        runtimeCommands(spec("      java: corretto21\n"), file, {});
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.toLine()).toBe(
      "bs.yml:5: this image has no runtime 'java' (its runtimes file lists: python, golang) (fix: name a runtime of the image, or drop it from runtime-versions)",
    );
  });
});

describe("cache folders and volumes", () => {
  it("keeps the folder before the first glob; a path without a folder is a warning", () => {
    expect(cacheFolderOf("/root/.m2/**/*")).toBe("/root/.m2");
    expect(cacheFolderOf("node_modules/**/*")).toBe("node_modules");
    expect(cacheFolderOf("/var/cache/pip")).toBe("/var/cache/pip");
    expect(cacheFolderOf("build/*/out/**")).toBe("build");
    const spec = parseBuildspec(
      "version: 0.2\nphases:\n  build:\n    commands: [x]\ncache:\n  paths: ['**/*', '~/.gradle/caches/**/*', deps/**/*]\n",
      "bs.yml",
    );
    const { folders, warnings } = cacheFolders(spec, "/codebuild/output/src/src");
    expect(folders.map((f) => f.entryPath)).toEqual([
      "home/.gradle/caches",
      "fs/codebuild/output/src/src/deps",
    ]);
    expect(folders[0]?.shell).toBe(`"$HOME"/'.gradle/caches'`);
    expect(warnings).toEqual([
      "bs.yml:6: cache.paths '**/*' names no folder; locally the cache keeps folders (write e.g. node_modules/**/* or /root/.m2/**/*)",
    ]);
  });

  it("one volume per project, or per source folder without one", () => {
    expect(cacheVolumeName("ErlangAppProject", "/a")).toBe("prebake-codebuild-cache-ErlangAppProject");
    expect(cacheVolumeName(undefined, "/a")).toMatch(/^prebake-codebuild-cache-local-[0-9a-f]{12}$/);
    expect(cacheVolumeName(undefined, "/a")).not.toBe(cacheVolumeName(undefined, "/b"));
  });

  it("the driver restores before INSTALL and saves after POST_BUILD only with a cache; run-as code only with run-as", () => {
    const plain = parseBuildspec("version: 0.2\nphases:\n  build:\n    commands: [x]\n", "bs.yml");
    expect(driverScript(plain)).not.toMatch(/__pb_c=|__pb_run_as/);
    const spec = parseBuildspec(
      "version: 0.2\nphases:\n  install:\n    commands: [i]\n  build:\n    run-as: nobody\n    commands: [x]\ncache:\n  paths: [deps/**/*]\n",
      "bs.yml",
    );
    const script = driverScript(spec, { cacheFolders: cacheFolders(spec, "/src").folders, srcDir: "/src" });
    const at = (text: string) => script.indexOf(text);
    expect(at("cache-restored")).toBeGreaterThan(0);
    expect(at("cache-restored")).toBeLessThan(at("phase-start INSTALL"));
    expect(at("cache-saved")).toBeGreaterThan(at("phase-start BUILD"));
    expect(at("__pb_run_as 'nobody' 'nobody'")).toBeGreaterThan(at("phase-start BUILD"));
  });
});

describe("Lambda compute findings", () => {
  it("on-failure (RETRY included) and cache are errors at their lines; docker and root tools are warnings; EC2 has none", () => {
    const spec = parseBuildspec(
      "version: 0.2\nphases:\n  install:\n    on-failure: RETRY\n    commands: ['apt-get install -y jq']\n  build:\n    commands: ['docker build .', 'echo dockerfile']\ncache:\n  paths: [/root/.m2/**/*]\n",
      "bs.yml",
    );
    expect(computeFindings(spec, "lambda").map((f) => `${f.level} ${f.where}: ${f.message}`)).toEqual([
      "error bs.yml:4: phases.install.on-failure: Lambda compute does not support on-failure",
      "error bs.yml:8: cache: Lambda compute does not support caching",
      "warning bs.yml:3: phases.install: `apt-get install -y jq` needs root (package managers, sudo): Lambda compute does not run tools that require root",
      "warning bs.yml:6: phases.build: `docker build .` runs docker: Lambda compute has no Docker builds or runs",
    ]);
    expect(computeFindings(spec, "ec2")).toEqual([]);
  });
});

describe("driver markers", () => {
  it("a refusal and the cache's steps are read from the markers", () => {
    const t = new PhaseTracker();
    expect(t.marker("refuse run-as-missing ghost", 0)).toBeUndefined();
    expect(t.refusal).toEqual({ kind: "run-as-missing", subject: "ghost" });
    expect(t.marker("cache-restored v1-abc", 0)).toBe("cache: restored v1-abc");
    expect(t.marker("cache-miss default", 0)).toBe("cache: nothing cached yet for default");
  });
});
