import { Writable } from "node:stream";
import { BuildFailedError, ConfigError, processMasker, RebuildDueError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { reportFailure } from "../src/failure.ts";

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join("") };
}

function report(err: unknown, held?: { value: unknown }) {
  const stdout = sink();
  const stderr = sink();
  const code = reportFailure(err, {
    json: true,
    verbose: false,
    held,
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("a failure under --json", () => {
  it("an object result keeps its fields, with the error beside them", () => {
    const err = new BuildFailedError("phase BUILD failed", {
      where: "bs.yml",
      fix: "see the build output above",
    });
    const r = report(err, { value: { kind: "codebuild-local", status: "FAILED" } });
    expect(r.code).toBe(8);
    expect(JSON.parse(r.stdout)).toEqual({
      kind: "codebuild-local",
      status: "FAILED",
      error: {
        exitCode: 8,
        message: "phase BUILD failed",
        where: "bs.yml",
        fix: "see the build output above",
      },
    });
    expect(r.stderr).toBe("prebake: error: bs.yml: phase BUILD failed (fix: see the build output above)\n");
  });

  it("an unexpected error is exit 1 with a fix that asks for a bug report; null where none is known", () => {
    const r = report(new TypeError("x is undefined"));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        exitCode: 1,
        message: "x is undefined",
        where: null,
        fix: "run again with --verbose for the stack trace, and report it as a bug",
      },
    });
    expect(r.stderr).toContain("prebake: internal error: x is undefined\n");
  });

  it("exit 10 is not a failure: the result as on success", () => {
    const r = report(new RebuildDueError("1 image(s) need a rebuild"), { value: { rows: [] } });
    expect(r.code).toBe(10);
    expect(JSON.parse(r.stdout)).toEqual({ rows: [] });
  });

  it("several problems: each on its line, then the line that counts them; all in the JSON", () => {
    const err = new ConfigError("first (and 1 more listed above)", {
      where: "a.yml:1:1",
      fix: "f1",
      problems: [
        { where: "a.yml:1:1", message: "first", fix: "f1" },
        { where: "a.yml:2:3", message: "second", fix: "f2" },
      ],
    });
    const r = report(err);
    expect(r.stderr).toBe(
      "error: a.yml:1:1: first (fix: f1)\nerror: a.yml:2:3: second (fix: f2)\n" +
        "prebake: error: a.yml:1:1: first (and 1 more listed above) (fix: f1)\n",
    );
    expect(JSON.parse(r.stdout).error.problems).toEqual([
      { where: "a.yml:1:1", message: "first", fix: "f1" },
      { where: "a.yml:2:3", message: "second", fix: "f2" },
    ]);
  });
});

describe("--verbose stack traces", () => {
  const verbose = (err: unknown) => {
    const stdout = sink();
    const stderr = sink();
    reportFailure(err, { json: true, verbose: true, stdout: stdout.stream, stderr: stderr.stream });
    return stdout.text() + stderr.text();
  };

  it("are masked like every other line: a secret in an internal error's message or in a cause's stack never shows", () => {
    const secret = `CANARY-${Math.random().toString(16).slice(2)}`;
    processMasker.add(secret);
    const internal = verbose(new Error(`request to https://user:tok@mirror.example failed with ${secret}`));
    expect(internal).toContain("at "); // the trace is there...
    expect(internal).not.toContain(secret); // ...without the secret
    expect(internal).not.toContain("user:tok@");
    const caused = verbose(
      new ConfigError("the index refused us", { where: "layer.yaml", cause: new Error(`401 for ${secret}`) }),
    );
    expect(caused).toContain("Error: 401 for ***");
    expect(caused).not.toContain(secret);
  });
});
