import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { gitRevision } from "../src/git.ts";
import {
  appendHistoryLine,
  HISTORY_SCHEMA,
  type HistoryLine,
  historyFile,
  historyLinesOf,
  Output,
  readHistory,
  SecretMasker,
} from "../src/index.ts";

const run = { at: "2026-11-23T10:00:00.000Z", git: "abc123", environment: "local", profile: "local" };
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "prebake-history-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const line = (over: Partial<HistoryLine> = {}): HistoryLine => ({
  schema: HISTORY_SCHEMA,
  kind: "codebuild-local",
  at: "2026-11-23T10:00:00.000Z",
  name: "ci/ErlangAppProject",
  status: "SUCCEEDED",
  durationMs: 3000,
  environment: "local",
  profile: "local",
  ...over,
});

describe("history lines from command results", () => {
  it("a local CodeBuild run keeps its phases, status, project, compute type and image", () => {
    const [l] = historyLinesOf(
      {
        kind: "codebuild-local",
        project: "ci/ErlangAppProject",
        computeType: "BUILD_GENERAL1_SMALL",
        status: "FAILED",
        image: "127.0.0.1:5050/prebake/erlang-otp@sha256:aa",
        phases: [
          { name: "INSTALL", status: "SUCCEEDED", durationMs: 600 },
          { name: "BUILD", status: "FAILED", durationMs: 1700 },
        ],
        durationMs: 3100,
      },
      run,
    );
    expect(l).toEqual({
      schema: 1,
      kind: "codebuild-local",
      at: run.at,
      git: "abc123",
      environment: "local",
      profile: "local",
      name: "ci/ErlangAppProject",
      status: "FAILED",
      durationMs: 3100,
      computeType: "BUILD_GENERAL1_SMALL",
      image: { uri: "127.0.0.1:5050/prebake/erlang-otp@sha256:aa" },
      phases: [
        { name: "INSTALL", status: "SUCCEEDED", durationMs: 600 },
        { name: "BUILD", status: "FAILED", durationMs: 1700 },
      ],
    });
  });

  it("a remote build drops phases without a duration and keeps the build id", () => {
    const [l] = historyLinesOf(
      {
        kind: "codebuild-remote",
        projectName: "prebake-ci-erlang-app",
        buildId: "prebake-ci-erlang-app:1",
        status: "SUCCEEDED",
        computeType: "BUILD_GENERAL1_SMALL",
        phases: [
          { name: "SUBMITTED", status: "SUCCEEDED", durationMs: 0 },
          { name: "BUILD", status: "IN_PROGRESS", durationMs: undefined },
        ],
        durationMs: 30_000,
      },
      run,
    );
    expect(l?.name).toBe("prebake-ci-erlang-app");
    expect(l?.buildId).toBe("prebake-ci-erlang-app:1");
    expect(l?.phases).toEqual([{ name: "SUBMITTED", status: "SUCCEEDED", durationMs: 0 }]);
  });

  it("a pipeline run: its actions become phases named <stage>/<action>", () => {
    const [l] = historyLinesOf(
      {
        kind: "pipeline",
        pipeline: "prebake-ci-pipeline",
        executionId: "e-1",
        status: "Failed",
        where: "local",
        actions: [
          {
            stage: "Source",
            action: "SourceArchive",
            provider: "S3",
            status: "Succeeded",
            durationMs: 2000,
            detail: "",
          },
          {
            stage: "Build",
            action: "PythonLayer",
            provider: "CodeBuild",
            status: "Failed",
            durationMs: 9000,
            detail: "",
          },
        ],
        durationMs: 12_000,
      },
      run,
    );
    expect(l?.kind).toBe("pipeline");
    expect(l?.name).toBe("prebake-ci-pipeline");
    expect(l?.status).toBe("FAILED");
    expect(l?.phases).toEqual([
      { name: "Source/SourceArchive", status: "Succeeded", durationMs: 2000 },
      { name: "Build/PythonLayer", status: "Failed", durationMs: 9000 },
    ]);
  });

  it("image pushes (one per version line), layers (one per layer) and deploys", () => {
    const images = historyLinesOf(
      [
        {
          kind: "image",
          name: "erlang-otp",
          version: "27.1",
          action: "pushed",
          digest: "sha256:bb",
          uri: "r/x@sha256:bb",
          sizeBytes: 110_000_000,
          durationMs: 9000,
        },
        { kind: "image", name: "erlang-otp", version: "26.2.5", action: "skipped", durationMs: 50 },
      ],
      run,
    );
    expect(images.map((i) => [i.name, i.status, i.image?.sizeBytes])).toEqual([
      ["erlang-otp:27.1", "SUCCEEDED", 110_000_000],
      ["erlang-otp:26.2.5", "SKIPPED", undefined],
    ]);
    const [layer] = historyLinesOf(
      {
        kind: "layer",
        command: "layer publish",
        layers: [
          {
            name: "common-utils",
            zippedBytes: 2_600_000,
            unzippedBytes: 7_200_000,
            action: "published",
            durationMs: 2500,
            imports: [{ python: "3.11", module: "pydantic", ms: 65 }],
            layerVersionArn: "arn:aws:lambda:us-east-1:123456789012:layer:common-utils:3",
          },
        ],
      },
      run,
    );
    expect(layer).toMatchObject({
      kind: "layer",
      name: "common-utils",
      action: "published",
      status: "SUCCEEDED",
      durationMs: 2500,
      layer: { zippedBytes: 2_600_000, unzippedBytes: 7_200_000, imports: [{ module: "pydantic", ms: 65 }] },
    });
    const [deploy] = historyLinesOf(
      { kind: "deploy", stack: "ci", stackName: "prebake-ci", action: "skipped", durationMs: 55 },
      run,
    );
    expect(deploy).toMatchObject({ kind: "deploy", name: "ci", status: "SKIPPED", action: "skipped" });
  });

  it("a remote build started with --no-wait is not a run yet", () => {
    const started = {
      kind: "codebuild-remote",
      projectName: "p",
      buildId: "p:1",
      status: "IN_PROGRESS",
      phases: [],
      durationMs: 200,
    };
    expect(historyLinesOf(started, run)).toEqual([]);
  });

  it("a result without a kind (render, lint, validate) is not a run", () => {
    expect(historyLinesOf({ stacks: ["ci"], findings: [] }, run)).toEqual([]);
    expect(historyLinesOf({ kind: "something-else", durationMs: 1 }, run)).toEqual([]);
  });
});

describe("history files", () => {
  it("reads back what was appended, oldest first, per kind", () => {
    const dir = tempDir();
    appendHistoryLine(dir, line({ at: "2026-11-23T12:00:00.000Z", name: "b" }));
    appendHistoryLine(dir, line({ at: "2026-11-23T11:00:00.000Z", name: "a" }));
    appendHistoryLine(dir, line({ kind: "deploy", name: "ci" }));
    const all = readHistory(dir);
    expect(all.problems).toEqual([]);
    expect(all.lines.map((l) => l.name)).toEqual(["ci", "a", "b"]);
    expect(readHistory(dir, ["deploy"]).lines.map((l) => l.name)).toEqual(["ci"]);
  });

  it("a corrupt line, an invalid line and a newer schema are reported with file and line, and skipped", () => {
    const dir = tempDir();
    appendHistoryLine(dir, line({ name: "first" }));
    const file = historyFile(dir, "codebuild-local");
    appendFileSync(file, '{"schema":1,"kind":"codebuild-local","at":"2026-11-2\n');
    appendFileSync(file, `${JSON.stringify({ ...line(), durationMs: "slow" })}\n`);
    appendFileSync(file, `${JSON.stringify({ ...line(), schema: 2 })}\n`);
    appendHistoryLine(dir, line({ name: "last" }));
    const read = readHistory(dir);
    expect(read.lines.map((l) => l.name)).toEqual(["first", "last"]);
    expect(read.problems).toEqual([
      { file, line: 2, reason: "not JSON (a cut or hand-edited line)" },
      { file, line: 3, reason: expect.stringMatching(/^durationMs: /) },
      { file, line: 4, reason: "schema 2 is newer than this prebake's (1): upgrade prebake" },
    ]);
  });

  it("an empty or missing folder is no history", () => {
    expect(readHistory(join(tempDir(), "none"))).toEqual({ lines: [], problems: [] });
  });

  it("Output.result appends the run, with secrets masked, and only when history is on", async () => {
    const dir = tempDir();
    const masker = new SecretMasker();
    masker.add("s3cr3t-value");
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const out = new Output({
      stdout: sink,
      masker,
      history: {
        dir,
        revision: () => gitRevision(resolve(import.meta.dirname, "../../..")),
        profile: "local",
        environment: "dev",
      },
    });
    out.result({ kind: "codebuild-local", project: "p/s3cr3t-value", status: "SUCCEEDED", durationMs: 1 });
    out.result({ stacks: ["ci"] });
    const noHistory = new Output({ stdout: sink });
    noHistory.result({ kind: "deploy", stack: "ci", action: "created", durationMs: 1 });
    // The lines wait for git's answer (asked asynchronously): settled() is when they are written.
    await Promise.all([out.settled(), noHistory.settled()]);
    const text = readFileSync(historyFile(dir, "codebuild-local"), "utf8");
    expect(text).not.toContain("s3cr3t-value");
    const { lines } = readHistory(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: "p/***", environment: "dev", profile: "local" });
    expect(lines[0]?.git).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
  });
});

describe("concurrent writers", () => {
  it("several processes appending at once lose no line and interleave none", async () => {
    const dir = tempDir();
    const module = resolve(import.meta.dirname, "../src/history.ts");
    const writers = 4;
    const perWriter = 150;
    // Lines of ~9 KB: larger than a pipe's atomic size and than one page, where a write done in
    // several pieces, or at a position read before another writer's append, would show.
    const script = `
      import { appendHistoryLine } from ${JSON.stringify(module)};
      const [id, n, dir] = process.argv.slice(1);
      for (let i = 0; i < Number(n); i++) {
        appendHistoryLine(dir, { schema: 1, kind: "deploy", at: new Date().toISOString(), name: id + "-" + i,
          status: "SUCCEEDED", action: "x".repeat(9000), durationMs: i, environment: "t", profile: "t" });
      }`;
    await Promise.all(
      Array.from(
        { length: writers },
        (_, w) =>
          new Promise<void>((done, fail) => {
            const child = spawn(
              process.execPath,
              ["--input-type=module", "-e", script, "--", `w${w}`, String(perWriter), dir],
              { stdio: ["ignore", "ignore", "pipe"] },
            );
            let err = "";
            child.stderr.on("data", (c) => {
              err += String(c);
            });
            child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`writer ${w}: ${err}`))));
          }),
      ),
    );
    const read = readHistory(dir);
    expect(read.problems).toEqual([]);
    expect(read.lines).toHaveLength(writers * perWriter);
    expect(new Set(read.lines.map((l) => l.name)).size).toBe(writers * perWriter);
  });
});

describe("a half-written line (a full disk)", () => {
  it("is reported as one corrupt line, and the next good line is still read", () => {
    const dir = tempDir();
    appendHistoryLine(dir, line({ name: "before" }));
    // What a write cut short by a full disk leaves: part of a line, no newline.
    appendFileSync(historyFile(dir, "codebuild-local"), JSON.stringify(line({ name: "cut" })).slice(0, 40));
    appendHistoryLine(dir, line({ name: "after" }));
    const read = readHistory(dir);
    expect(read.lines.map((l) => l.name)).toEqual(["before", "after"]);
    expect(read.problems).toEqual([
      { file: historyFile(dir, "codebuild-local"), line: 2, reason: "not JSON (a cut or hand-edited line)" },
    ]);
  });
});
