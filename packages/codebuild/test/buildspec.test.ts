import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import {
  buildShell,
  driverScript,
  PhaseTracker,
  parseBuildspec,
  parseEnvFile,
  readMarker,
  runtimeVersionWarnings,
} from "../src/index.ts";

const line = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.toLine();
    throw err;
  }
  throw new Error("expected a ConfigError");
};

describe("buildspec validation", () => {
  it("parses phases, env, on-failure, finally and artifacts", () => {
    const spec = parseBuildspec(
      "version: 0.2\nenv:\n  variables: { A: '1' }\n  parameter-store: { P: /x/y }\nphases:\n  build:\n    on-failure: CONTINUE\n    commands: [make]\n    finally: [echo done]\nartifacts:\n  files: ['**/*']\n  discard-paths: yes\n  base-directory: out\n",
      "bs.yml",
    );
    expect(spec.env.variables).toEqual({ A: "1" });
    expect(spec.env.parameterStore).toEqual({ P: "/x/y" });
    expect(spec.phases.build).toEqual({
      commands: ["make"],
      finally: ["echo done"],
      onFailure: "CONTINUE",
      runtimeVersions: {},
    });
    expect(spec.artifacts).toEqual({
      files: ["**/*"],
      baseDirectory: "out",
      discardPaths: true,
      name: undefined,
      excludePaths: [],
      enableSymlinks: false,
      s3Prefix: undefined,
      secondary: [],
    });
  });

  it("a YAML error names the file and line", () => {
    expect(line(() => parseBuildspec("version: 0.2\nphases:\n  build: [\n", "bs.yml"))).toMatch(
      /^bs\.yml:\d+:\d+: not valid YAML/,
    );
  });

  it("an unknown phase names its line and the known ones", () => {
    expect(
      line(() => parseBuildspec("version: 0.2\nphases:\n  biuld:\n    commands: [make]\n", "bs.yml")),
    ).toBe(
      "bs.yml:3:3: unknown phase 'biuld' (fix: did you mean build? (use one of: install, pre_build, build, post_build))",
    );
  });

  it("an unknown key is an error, not silently ignored", () => {
    expect(
      line(() => parseBuildspec("version: 0.2\nphases:\n  build:\n    comands: [make]\n", "bs.yml")),
    ).toContain("bs.yml:4:5: unknown key 'comands' in phases.build");
    expect(
      line(() =>
        parseBuildspec(
          "version: 0.2\nartifact:\n  files: [a]\nphases:\n  build:\n    commands: [x]\n",
          "bs.yml",
        ),
      ),
    ).toContain("bs.yml:2:1: unknown key 'artifact' in the buildspec");
  });

  it("refuses a bad on-failure and a missing version", () => {
    expect(
      line(() =>
        parseBuildspec(
          "version: 0.2\nphases:\n  build:\n    on-failure: SKIP\n    commands: [x]\n",
          "bs.yml",
        ),
      ),
    ).toContain("bs.yml:4:17: phases.build.on-failure must be ABORT, CONTINUE or RETRY, not 'SKIP'");
    expect(line(() => parseBuildspec("phases:\n  build:\n    commands: [x]\n", "bs.yml"))).toContain(
      "missing version",
    );
  });

  it("warns about version 0.1 and about runtime-versions on a custom image", () => {
    const v01 = parseBuildspec("version: 0.1\nphases:\n  build:\n    commands: [x]\n", "bs.yml");
    expect(v01.warnings[0]).toContain("version 0.1 runs every command in its own shell");
    const rv = parseBuildspec(
      "version: 0.2\nphases:\n  install:\n    runtime-versions: { python: 3.11 }\n    commands: [x]\n",
      "bs.yml",
    );
    expect(runtimeVersionWarnings(rv, false)[0]).toContain(
      "runtime-versions (python: 3.11) is skipped on this image",
    );
    expect(runtimeVersionWarnings(rv, true)).toEqual([]);
  });

  it("exported-variables must be variable names (they are expanded in the build's shell)", () => {
    expect(
      line(() =>
        parseBuildspec(
          "version: 0.2\nenv:\n  exported-variables:\n    - OK_NAME\n    - '$(rm -rf /)'\nphases:\n  build:\n    commands: [x]\n",
          "bs.yml",
        ),
      ),
    ).toBe(
      "bs.yml:5:7: env.exported-variables: '$(rm -rf /)' is not a variable name (fix: use letters, digits and _)",
    );
  });

  it("runs commands in sh unless env.shell says bash, as CodeBuild does on Linux", () => {
    const plain = parseBuildspec("version: 0.2\nphases:\n  build:\n    commands: [x]\n", "bs.yml");
    const bash = parseBuildspec(
      "version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands: [x]\n",
      "bs.yml",
    );
    expect(buildShell(plain)).toBe("sh");
    expect(driverScript(plain).split("\n")[0]).toBe("#!/bin/sh");
    expect(buildShell(bash)).toBe("bash");
  });

  it("the repository's own buildspecs are valid", async () => {
    const { loadBuildspec } = await import("../src/index.ts");
    const { join } = await import("node:path");
    for (const f of ["erlang-app.yml", "python-layer.yml", "image-rebuild.yml"]) {
      expect(loadBuildspec(join(import.meta.dirname, "../../../buildspecs", f)).warnings).toEqual([]);
    }
  });
});

describe("env files and phase markers", () => {
  it("reads KEY=value lines and names a bad line", () => {
    expect(parseEnvFile("# c\nA=1\n\nB=x=y\n", ".env")).toEqual({ A: "1", B: "x=y" });
    expect(line(() => parseEnvFile("A=1\noops\n", ".env"))).toBe(
      ".env:2: expected KEY=value (fix: write one KEY=value per line)",
    );
  });

  it("turns markers into phase durations and the failing command", () => {
    const spec = parseBuildspec(
      "version: 0.2\nphases:\n  build:\n    commands: [make, make test]\n",
      "bs.yml",
    );
    const t = new PhaseTracker();
    t.marker("phase-start BUILD", 1000);
    t.marker("cmd-failed BUILD 1 2", 1500);
    t.marker("phase-end BUILD 2", 1600);
    expect(t.results()).toEqual([{ name: "BUILD", status: "FAILED", durationMs: 600 }]);
    expect(t.failure(spec)).toEqual({ phase: "BUILD", command: "make test", exitCode: 2, endedShell: false });
    expect(t.finish(1650, 2)).toBe(false);
    t.marker("exported VERSION=1.2 3=x", 1700);
    expect(t.exported).toEqual({ VERSION: "1.2 3=x" });
  });

  it("reads markers only from the marker channel's whole lines; anything else there is output", () => {
    expect(readMarker("##prebake:phase-end BUILD 0")).toBe("phase-end BUILD 0");
    expect(readMarker("sh: can't open /codebuild/prebake/driver.sh")).toBeUndefined();
    expect(readMarker("+ echo '##prebake:phase-end BUILD 0'")).toBeUndefined();
  });

  it("a command that ends the shell (exit) fails its phase and is named, even with status 0", () => {
    const spec = parseBuildspec(
      "version: 0.2\nphases:\n  install:\n    commands: [echo a, exit 0, echo b]\n",
      "bs.yml",
    );
    const t = new PhaseTracker();
    t.marker("phase-start INSTALL", 0);
    t.marker("cmd INSTALL 0", 1);
    t.marker("cmd INSTALL 1", 2);
    expect(t.finish(5, 0)).toBe(true);
    expect(t.results()).toEqual([{ name: "INSTALL", status: "FAILED", durationMs: 5 }]);
    expect(t.failure(spec)).toEqual({ phase: "INSTALL", command: "exit 0", exitCode: 0, endedShell: true });
  });
});
