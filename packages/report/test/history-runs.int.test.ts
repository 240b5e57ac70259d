import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readHistory } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import type { ReportData } from "../src/index.ts";

// Real local builds through the CLI (the local runner in the Debian base image): each run becomes
// a history line in one place (Output.result), and `prebake report --json` counts them.
const repo = resolve(import.meta.dirname, "../../..");
const CLI = join(repo, "packages/cli/bin/prebake.js");
const work = mkdtempSync(join(tmpdir(), "prebake-history-runs-"));
const history = join(work, "history");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const prebake = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, PREBAKE_HISTORY_DIR: history, NO_COLOR: "1" },
  });

function buildspec(name: string, buildCommand: string): string {
  const file = join(work, name);
  writeFileSync(
    file,
    `version: 0.2\nphases:\n  install:\n    commands: [echo activate]\n  build:\n    commands: ["${buildCommand}"]\n`,
  );
  return name;
}

describe("local CodeBuild runs in the history, and the report over them", () => {
  it("a succeeded and a failed run are two lines with phases; the report counts 1 of 2", () => {
    const ok = prebake(
      "codebuild",
      "run",
      "-i",
      "prebake/debian:bookworm",
      "-s",
      work,
      "-b",
      buildspec("ok.yml", "sleep 1"),
    );
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    const bad = prebake(
      "codebuild",
      "run",
      "-i",
      "prebake/debian:bookworm",
      "-s",
      work,
      "-b",
      buildspec("bad.yml", "exit 3"),
    );
    expect(bad.status, bad.stderr).toBe(8);

    const { lines, problems } = readHistory(history);
    expect(problems).toEqual([]);
    expect(lines.map((l) => [l.kind, l.name, l.status])).toEqual([
      ["codebuild-local", "local", "SUCCEEDED"],
      ["codebuild-local", "local", "FAILED"],
    ]);
    const build = lines[0]!.phases!.find((p) => p.name === "BUILD")!;
    // About the second it slept: a phase's ends are the host's clock when each marker arrives, and
    // the log stream's delivery moves either end by a few milliseconds (998 ms was seen in CI).
    expect(build.durationMs).toBeGreaterThanOrEqual(900);
    expect(lines[0]!.phases!.map((p) => p.name)).toEqual(["INSTALL", "BUILD"]);
    expect(lines[0]!.git).toMatch(/^[0-9a-f]{40}/);

    const report = prebake("--json", "report", "--out", join(work, "index.html"));
    expect(report.status, report.stderr).toBe(0);
    const data = JSON.parse(report.stdout) as ReportData;
    expect(data.projects).toHaveLength(1);
    expect(data.projects[0]).toMatchObject({ project: "local", succeeded: 1, failed: 1, successRate: 0.5 });
    expect(data.projects[0]!.costPerBuildUsd).toBe(0.005);
    // The report is not a run: reading the history does not add to it.
    expect(readHistory(history).lines).toHaveLength(2);
  });
});
