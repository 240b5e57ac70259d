import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatTable, Output } from "../src/index.ts";

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

describe("output", () => {
  it("without a TTY prints plain progress lines, throttled per key", () => {
    const out = sink();
    const o = new Output({ stdout: out.stream, tty: false, progressIntervalMs: 60_000 });
    o.progress("push", "1 MB");
    o.progress("push", "2 MB"); // inside the interval: dropped
    o.progress("build", "step 1/3");
    expect(out.text()).toBe("    push: 1 MB\n    build: step 1/3\n");
    expect(out.text()).not.toContain("\u001b");
  });

  it("under --json keeps stdout for the JSON result only", () => {
    const out = sink();
    const err = sink();
    const o = new Output({ stdout: out.stream, stderr: err.stream, json: true, tty: false });
    o.step("deploying ci");
    o.result({ stack: "ci", action: "skipped" });
    expect(JSON.parse(out.text())).toEqual({ stack: "ci", action: "skipped" });
    expect(err.text()).toContain("==> deploying ci");
  });

  it("holdResult keeps the last --json result (masked) for the caller to print, once", () => {
    const out = sink();
    const o = new Output({
      stdout: out.stream,
      stderr: sink().stream,
      json: true,
      tty: false,
      holdResult: true,
    });
    o.addSecret("s3cr3t");
    o.result({ step: 1 });
    o.result({ step: 2, token: "s3cr3t" });
    expect(out.text()).toBe("");
    expect(o.takeHeldResult()).toEqual({ value: { step: 2, token: "***" } });
    expect(o.takeHeldResult()).toBeUndefined();
  });

  it("formats tables, durations and sizes", () => {
    expect(formatTable(["a", "bb"], [["xyz", "1"]])).toBe("a    bb\n---  --\nxyz  1");
    expect(formatDuration(950)).toBe("950ms");
    expect(formatDuration(12_340)).toBe("12.3s");
    expect(formatDuration(125_000)).toBe("2m05s");
    expect(formatDuration(479_500)).toBe("8m00s");
    expect(formatBytes(63_000_000)).toBe("63.0 MB");
  });
});
