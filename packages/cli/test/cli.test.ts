import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { toSummaryRows } from "../src/summary.ts";

const bin = resolve(import.meta.dirname, "../bin/prebake.js");

function prebake(args: string[], cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("prebake CLI", () => {
  it("--help teaches the global options and the exit codes", () => {
    const r = prebake(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--profile <name>");
    expect(r.stdout).toContain("Exit codes:");
    for (const command of ["render", "push", "layer", "deploy", "codebuild", "buildspec", "summary"]) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${command} `));
    }
  });

  it("an unknown command is a usage error (exit 2)", () => {
    const r = prebake(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command");
  });

  it("--version and -V print the version; with --json as JSON", () => {
    for (const flag of ["--version", "-V"]) {
      const r = prebake([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${packageJson.version}\n`);
    }
    for (const args of [
      ["--json", "--version"],
      ["--version", "--json"],
    ]) {
      const r = prebake(args);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ version: packageJson.version });
    }
    // A command's own --version is the command's: push's version line, not prebake's version.
    const push = prebake(["push", "no-such-image", "--version", "1.0"]);
    expect(push.code).toBe(3);
    expect(push.stdout).not.toContain(packageJson.version);
    expect(push.stderr).toContain("no image definition named 'no-such-image'");
  });

  it("usage mistakes are prebake's one line with the command and a fix, exit 2, at any depth", () => {
    const cases: [string[], string][] = [
      [
        ["deploy", "--frob"],
        "prebake: error: prebake deploy: unknown option '--frob' (fix: run `prebake deploy --help` for its usage)",
      ],
      [
        ["--profile", "aws", "codebuild", "run", "--timeout"],
        "prebake: error: prebake codebuild run: option '--timeout <minutes>' argument missing (fix: run `prebake codebuild run --help` for its usage)",
      ],
      [
        ["deploy"],
        "prebake: error: prebake deploy: missing required argument 'stack' (fix: run `prebake deploy --help` for its usage)",
      ],
      [
        ["depoy", "ci"],
        "prebake: error: prebake: unknown command 'depoy' (fix: did you mean deploy? (`prebake --help` lists what it takes))",
      ],
      [
        ["buildspec", "validate", "a.yml", "--comptue", "lambda"],
        "prebake: error: prebake buildspec validate: unknown option '--comptue' (fix: did you mean --compute? (`prebake buildspec validate --help` lists what it takes))",
      ],
    ];
    for (const [args, line] of cases) {
      const r = prebake(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toBe(`${line}\n`);
      expect(r.stdout).toBe("");
    }
    // A command group without its subcommand: its help, then the line naming what to run.
    const group = prebake(["codebuild"]);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("Usage: prebake codebuild");
    expect(group.stderr.trim().split("\n").at(-1)).toBe(
      "prebake: error: prebake codebuild: a subcommand is needed (fix: run one of: prebake codebuild run, prebake codebuild start, prebake codebuild rebuild-images)",
    );
  });

  it("under --json every failure is one JSON error object on stdout, the line still on stderr", () => {
    const usage = prebake(["--json", "deploy", "--frob"]);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      error: {
        exitCode: 2,
        message: "unknown option '--frob'",
        where: "prebake deploy",
        fix: "run `prebake deploy --help` for its usage",
      },
    });
    expect(usage.stderr).toMatch(/^prebake: error: prebake deploy: unknown option/);

    const dir = mkdtempSync(join(tmpdir(), "prebake-cli-"));
    writeFileSync(join(dir, "prebake.config.yaml"), "profile: staging\n");
    const config = prebake(["summary", "--dir", dir, "--json"], dir);
    expect(config.code).toBe(3);
    expect(JSON.parse(config.stdout)).toEqual({
      error: {
        exitCode: 3,
        message: "unknown profile 'staging'",
        where: "prebake.config.yaml: profile",
        fix: "use one of: local, aws, or add it under profiles:",
      },
    });
  });

  it("under --json a command failing after a list result prints that list as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-cli-"));
    writeFileSync(
      join(dir, "buildspec.yml"),
      "version: 0.2\nphases:\n  build:\n    commands: [make]\ncache:\n  paths: [/root/.m2/**/*]\n",
    );
    const r = prebake(["--json", "buildspec", "validate", "--compute", "lambda", "buildspec.yml"], dir);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject([{ file: "buildspec.yml", compute: "lambda" }]);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^prebake: error: buildspec\.yml:5: cache: /);
  });

  it("bad configuration is one line with the file, field and fix (exit 3), no stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-cli-"));
    writeFileSync(join(dir, "prebake.config.yaml"), "profile: staging\n");
    const r = prebake(["summary", "--dir", dir], dir);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      "prebake: error: prebake.config.yaml: profile: unknown profile 'staging' (fix: use one of: local, aws, or add it under profiles:)",
    );
  });

  it("a definition file's every mistake is its own line, then one line counting them (exit 3)", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-cli-"));
    writeFileSync(
      join(dir, "prebake.config.yaml"),
      "projct: x\nprofiles:\n  local:\n    regoin: us-east-1\n",
    );
    const r = prebake(["summary", "--dir", dir], dir);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toEqual([
      "error: prebake.config.yaml:1:1: unknown key 'projct' (fix: did you mean project? (the fields: @prebake/core's README, packages/core/README.md#prebakeconfigyaml))",
      "error: prebake.config.yaml:4:5: profiles.local: unknown key 'regoin' (fix: did you mean region? (the fields: @prebake/core's README, packages/core/README.md#prebakeconfigyaml))",
      "prebake: error: prebake.config.yaml:1:1: unknown key 'projct' (and 1 more listed above) (fix: did you mean project? (the fields: @prebake/core's README, packages/core/README.md#prebakeconfigyaml))",
    ]);
  });

  it("the README sections that definition errors point at exist", () => {
    const repoRoot = resolve(import.meta.dirname, "../../..");
    // GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes.
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, "")
        .replace(/ /g, "-");
    const sources = [
      "core/src/config.ts",
      "images/src/definition.ts",
      "layers/src/definition.ts",
      "codebuild/src/app-definition.ts",
    ];
    for (const source of sources) {
      const text = readFileSync(join(repoRoot, "packages", source), "utf8");
      const [, readme, anchor] = /(packages\/[a-z-]+\/README\.md)#([a-z0-9-]+)/.exec(text) ?? [];
      expect(readme, source).toBeDefined();
      const headings = readFileSync(join(repoRoot, readme!), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("## "))
        .map((l) => slug(l.slice(3)));
      expect(headings, `${readme}#${anchor}`).toContain(anchor);
    }
  });

  it("summary prints what a run recorded", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-run-"));
    const rec = (result: unknown) => `${JSON.stringify({ at: "", result })}\n`;
    writeFileSync(
      join(dir, "results.jsonl"),
      rec({
        kind: "image",
        name: "erlang-otp",
        version: "27.1",
        action: "skipped",
        digest: "sha256:ab",
        durationMs: 800,
      }) +
        rec({
          kind: "deploy",
          stack: "ci",
          stackName: "prebake-ci",
          action: "updated",
          durationMs: 12_000,
          environment: "default",
        }) +
        rec({
          kind: "promote",
          from: "dev",
          to: "prod",
          deployed: [
            {
              kind: "deploy",
              stack: "ci",
              action: "created",
              durationMs: 3000,
              environment: "prod",
              stackName: "prebake-prod-ci",
            },
          ],
        }),
    );
    const r = prebake(["summary", "--dir", dir], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/image\s+erlang-otp:27\.1\s+skipped\s+800ms\s+-\s/);
    expect(r.stdout).toMatch(/stack\s+ci\s+updated\s+12\.0s\s+default/);
    expect(r.stdout).toMatch(/stack\s+ci\s+created\s+3\.0s\s+prod\s+prebake-prod-ci/);
  });
});

describe("summary rows", () => {
  it("flattens arrays and nested results and recognises each kind; render/lint results are no rows", () => {
    expect(
      toSummaryRows({
        results: [
          { kind: "deploy", stack: "ci", stackName: "prebake-ci", action: "skipped", durationMs: 900 },
          [{ stack: "ci", file: "stacks/ci/stack.yaml", action: "unchanged" }],
          { stacks: ["ci"], findings: [] },
        ],
      }),
    ).toEqual([{ kind: "stack", name: "ci", action: "skipped", durationMs: 900, detail: "prebake-ci" }]);
  });

  it("a stack row carries its environment; a promotion's rows are its deploys", () => {
    expect(
      toSummaryRows({
        kind: "promote",
        from: "dev",
        to: "prod",
        stacks: [{ stack: "ci", moves: [] }],
        deployed: [
          {
            kind: "deploy",
            stack: "ci",
            stackName: "p-prod-ci",
            environment: "prod",
            action: "updated",
            durationMs: 5,
          },
        ],
      }),
    ).toStrictEqual([
      {
        kind: "stack",
        name: "ci",
        action: "updated",
        durationMs: 5,
        environment: "prod",
        detail: "p-prod-ci",
      },
    ]);
  });

  it("turns a layer publish into one row per layer", () => {
    expect(
      toSummaryRows({
        kind: "layer",
        command: "layer publish",
        layers: [
          {
            name: "common-utils",
            action: "unchanged",
            durationMs: 450,
            zippedBytes: 1000,
            unzippedBytes: 3000,
            imports: [],
            layerVersionArn: "arn:layer:1",
          },
        ],
      }),
    ).toEqual([
      {
        kind: "layer",
        name: "common-utils",
        action: "skipped (unchanged)",
        durationMs: 450,
        detail: "arn:layer:1",
      },
    ]);
  });
});
