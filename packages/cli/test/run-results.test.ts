/**
 * One result of every run kind, typed as the packages return them, through the three readers:
 * the summary's rows, the history's lines (written and read back through the line schema), and
 * the report built from those lines. A kind a reader forgets, or a field it reads that the
 * result does not declare, fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalBuildResult, RemoteBuildResult } from "@prebake/codebuild";
import {
  appendHistoryLine,
  historyLinesOf,
  parseConfig,
  RUN_KINDS,
  type RunResult,
  readHistory,
  runResultsOf,
} from "@prebake/core";
import type { DeployResult, PromotionResult } from "@prebake/deploy";
import type { ImageResult } from "@prebake/images";
import type { LayerResult } from "@prebake/layers";
import type { PipelineRunResult } from "@prebake/pipeline";
import { buildReport, parseSince, rateTable, reportTargets } from "@prebake/report";
import { afterAll, describe, expect, it } from "vitest";
import { readSummary, toSummaryRows } from "../src/summary.ts";

const AT = "2026-11-23T10:00:00.000Z";
const NOW = Date.parse("2026-11-23T12:00:00.000Z");

const image = {
  kind: "image",
  name: "erlang-otp",
  version: "27",
  action: "pushed",
  reason: "pushed 27-0123456789ab",
  contentHash: "sha256:0123456789ab",
  tags: ["27-0123456789ab", "27", "latest"],
  digest: "sha256:bb",
  uri: "127.0.0.1:5050/prebake/erlang-otp@sha256:bb",
  sizeBytes: 66_000_000,
  durationMs: 9000,
} satisfies ImageResult;

const layer = {
  kind: "layer",
  command: "layer publish",
  layers: [
    {
      name: "common-utils",
      action: "published",
      durationMs: 2500,
      layerName: "prebake-common-utils",
      arch: "x86_64",
      pythonVersions: ["3.11"],
      zip: "dist/layers/common-utils/common-utils.zip",
      sha256: "ab",
      zippedBytes: 2_600_000,
      unzippedBytes: 7_200_000,
      slim: { beforeBytes: 8_000_000, afterBytes: 7_200_000, removedPaths: 12 },
      upToDate: false,
      distributions: [{ name: "pydantic", version: "2.9.2" }],
      warnings: [],
      imports: [{ python: "3.11", module: "pydantic", ms: 65 }],
      published: true,
      layerVersionArn: "arn:aws:lambda:us-east-1:123456789012:layer:prebake-common-utils:3",
      version: 3,
      updatedFunctions: [],
    },
  ],
} satisfies LayerResult;

const deploy = (environment: string, stackName: string) =>
  ({
    kind: "deploy",
    stack: "ci",
    stackName,
    environment,
    profile: "local",
    action: "updated",
    changes: [],
    differences: ["template"],
    recreated: false,
    status: "UPDATE_COMPLETE",
    outputs: {},
    durationMs: 12_000,
    apiCalls: 9,
    apiCallsByCommand: {},
  }) satisfies DeployResult;

const promote = {
  kind: "promote",
  from: "dev",
  to: "prod",
  dryRun: false,
  stacks: [],
  deployed: [deploy("prod", "prebake-prod-ci")],
} satisfies PromotionResult;

const local = {
  kind: "codebuild-local",
  project: "ci/ErlangAppProject",
  computeType: "BUILD_GENERAL1_SMALL",
  status: "SUCCEEDED",
  image: "127.0.0.1:5050/prebake/erlang-otp@sha256:bb",
  phases: [
    { name: "INSTALL", status: "SUCCEEDED", durationMs: 600 },
    { name: "BUILD", status: "SUCCEEDED", durationMs: 1800 },
  ],
  failure: undefined,
  artifacts: undefined,
  secondaryArtifacts: {},
  reports: [],
  exportedVariables: {},
  durationMs: 3100,
} satisfies LocalBuildResult;

const remote = {
  kind: "codebuild-remote",
  projectName: "prebake-ci-erlang-app",
  buildId: "prebake-ci-erlang-app:7",
  computeType: "BUILD_GENERAL1_SMALL",
  status: "SUCCEEDED",
  phases: [
    { name: "PROVISIONING", status: "SUCCEEDED", durationMs: 20_000 },
    { name: "BUILD", status: "SUCCEEDED", durationMs: 40_000 },
  ],
  durationMs: 70_000,
} satisfies RemoteBuildResult;

const pipeline = {
  kind: "pipeline",
  pipeline: "prebake-ci",
  executionId: "local-1",
  status: "Succeeded",
  where: "local",
  actions: [
    { stage: "Source", action: "Source", provider: "S3", status: "Succeeded", durationMs: 300, detail: "" },
    {
      stage: "Build",
      action: "ErlangApp",
      provider: "CodeBuild",
      status: "Succeeded",
      durationMs: 3100,
      detail: "",
    },
  ],
  durationMs: 3500,
} satisfies PipelineRunResult;

const everyKind: RunResult[] = [
  image,
  layer,
  deploy("default", "prebake-ci"),
  promote,
  local,
  remote,
  pipeline,
];

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "prebake-run-results-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("one result type, three readers", () => {
  it("the fixture has one result of every run kind", () => {
    expect(new Set(everyKind.map((r) => r.kind))).toEqual(new Set(RUN_KINDS));
  });

  it("the summary has the rows of every kind, from the results' own fields", () => {
    expect(toSummaryRows(everyKind)).toStrictEqual([
      {
        kind: "image",
        name: "erlang-otp:27",
        action: "pushed",
        durationMs: 9000,
        detail: "127.0.0.1:5050/prebake/erlang-otp@sha256:bb",
      },
      {
        kind: "layer",
        name: "common-utils",
        action: "published",
        durationMs: 2500,
        detail: "arn:aws:lambda:us-east-1:123456789012:layer:prebake-common-utils:3",
      },
      {
        kind: "stack",
        name: "ci",
        action: "updated",
        durationMs: 12_000,
        environment: "default",
        detail: "prebake-ci",
      },
      {
        kind: "stack",
        name: "ci",
        action: "updated",
        durationMs: 12_000,
        environment: "prod",
        detail: "prebake-prod-ci",
      },
      {
        kind: "build",
        name: "ci/ErlangAppProject",
        action: "succeeded",
        durationMs: 3100,
        detail: "127.0.0.1:5050/prebake/erlang-otp@sha256:bb",
      },
      {
        kind: "build",
        name: "prebake-ci-erlang-app",
        action: "succeeded",
        durationMs: 70_000,
        detail: "prebake-ci-erlang-app:7",
      },
      { kind: "pipeline", name: "prebake-ci", action: "succeeded", durationMs: 3500, detail: "local-1" },
    ]);
  });

  it("the history writes lines of every kind that read back valid, and the report counts and shows them", () => {
    const dir = tempDir();
    const lines = historyLinesOf(everyKind, { at: AT, git: "abc", environment: "local", profile: "local" });
    for (const line of lines) appendHistoryLine(dir, line);
    const read = readHistory(dir);
    expect(read.problems).toEqual([]);
    expect(read.lines.map((l) => [l.kind, l.name, l.environment])).toEqual(
      expect.arrayContaining([
        ["image", "erlang-otp:27", "local"],
        ["layer", "common-utils", "local"],
        ["deploy", "ci", "local"],
        // The promotion's deploy went to prod, not to the command's environment.
        ["deploy", "ci", "prod"],
        ["codebuild-local", "ci/ErlangAppProject", "local"],
        ["codebuild-remote", "prebake-ci-erlang-app", "local"],
        ["pipeline", "prebake-ci", "local"],
      ]),
    );
    expect(read.lines).toHaveLength(7);

    const config = parseConfig("{}", "/repo/prebake.config.yaml", "/repo", { env: {} });
    const report = buildReport(
      read.lines,
      read.problems,
      { images: {}, layers: {} },
      {
        since: parseSince("30d", NOW),
        now: NOW,
        rates: rateTable({}),
        defaultComputeType: "BUILD_GENERAL1_SMALL",
        buildsPerMonth: 100,
        targets: reportTargets(config.report.targets),
      },
    );
    expect(report.lineCounts).toEqual({
      image: 1,
      layer: 1,
      deploy: 2,
      "codebuild-local": 1,
      "codebuild-remote": 1,
      pipeline: 1,
    });
    expect(report.images.map((i) => [i.image, i.latestBytes])).toEqual([["erlang-otp:27", 66_000_000]]);
    expect(report.layers.map((l) => [l.name, l.zippedBytes, l.imports])).toEqual([
      ["common-utils", 2_600_000, [{ python: "3.11", module: "pydantic", ms: 65 }]],
    ]);
    expect(report.projects.map((p) => [p.kind, p.project]).sort()).toEqual([
      ["codebuild-local", "ci/ErlangAppProject"],
      ["codebuild-remote", "prebake-ci-erlang-app"],
    ]);
  });

  it("a result that says its kind but lacks its fields is an error naming the field, never guessed", () => {
    expect(() =>
      runResultsOf({ kind: "layer", command: "layer build", layers: [{ name: "x", buildMs: 5 }] }),
    ).toThrow(/a layer result: layers\.0\.action: /);
    const dir = tempDir();
    writeFileSync(
      join(dir, "results.jsonl"),
      `${JSON.stringify({ at: AT, result: { kind: "pipeline", name: "p", status: "Succeeded", durationMs: 1 } })}\n` +
        `${JSON.stringify({ at: AT, result: pipeline })}\n`,
    );
    const warnings: string[] = [];
    expect(readSummary(dir, (m) => warnings.push(m)).map((r) => r.name)).toEqual(["prebake-ci"]);
    expect(warnings).toEqual([
      expect.stringMatching(/results\.jsonl:1: a pipeline result: pipeline: .*left out/),
    ]);
  });
});
