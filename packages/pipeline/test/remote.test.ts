/**
 * `prebake pipeline run` in the aws profile, on recorded responses: the emulator has no pipeline
 * executions, so CodePipeline, CodeBuild, CloudWatch Logs and the S3 upload answer from bodies
 * written from the API references (JSON 1.1: timestamps in epoch seconds, nextToken paging).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildFailedError, ConfigError, UnavailableError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { runRemotePipeline } from "../src/index.ts";
import { repo } from "./fixture.ts";
import { RecordedAws, recordedContext } from "./recorded-aws.ts";

/** A committed project holding the real ci stack (deployed as prebake-ci). */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-remote-pl-"));
  mkdirSync(join(root, "stacks/ci"), { recursive: true });
  cpSync(join(repo, "stacks/ci/stack.yaml"), join(root, "stacks/ci/stack.yaml"));
  writeFileSync(join(root, "prebake.config.yaml"), "project: prebake\n");
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: root });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "x");
  return root;
}

const PIPELINE = "prebake-ci";
const BUCKET = "prebake-ci-artifactsbucket-1a2b3c4d5e6f";
const VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";
const EXECUTION = "fb4c5b9e-64b1-4a5c-9d0a-1c2d3e4f5a6b";
const BUILD_ID = "prebake-ci-erlang-app:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const T0 = 1_767_000_000;

/** GetPipeline: the pipeline as deployed (configuration values resolved, as strings). */
const getPipeline = {
  pipeline: {
    name: PIPELINE,
    roleArn: "arn:aws:iam::123456789012:role/prebake-ci-PipelineRole-ABC",
    artifactStore: { type: "S3", location: BUCKET },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "SourceArchive",
            actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
            runOrder: 1,
            configuration: {
              S3Bucket: BUCKET,
              S3ObjectKey: "source/prebake.zip",
              PollForSourceChanges: "false",
            },
            outputArtifacts: [{ name: "Source" }],
            inputArtifacts: [],
          },
        ],
      },
      {
        name: "Build",
        actions: ["ErlangApp", "PythonLayer"].map((name) => ({
          name,
          actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
          runOrder: 1,
          configuration: {
            ProjectName: `${PIPELINE}-${name === "ErlangApp" ? "erlang-app" : "python-layer"}`,
          },
          inputArtifacts: [{ name: "Source" }],
          outputArtifacts: [{ name: name === "ErlangApp" ? "ErlangRelease" : "PythonLayer" }],
        })),
      },
    ],
    version: 3,
    pipelineType: "V2",
    executionMode: "SUPERSEDED",
  },
  metadata: {
    pipelineArn: `arn:aws:codepipeline:eu-west-1:123456789012:${PIPELINE}`,
    created: T0 - 86_400,
    updated: T0 - 3600,
  },
};

/** PutObject's answer to the upload: a versioned bucket names the new version. */
const putObject = { headers: { etag: '"9b2cf535f27731c974343645a3985328"', "x-amz-version-id": VERSION } };
/** Before an upload: the caller's account (STS, XML) and the bucket's owner check (HeadBucket: 200, no body). */
const callerAndBucket = {
  "POST /": [
    {
      headers: { "content-type": "text/xml" },
      body: "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
    },
  ],
  "HEAD /": [{}],
};

const summary = (id: string, revision: string, start: number, status: string) => ({
  pipelineExecutionId: id,
  status,
  startTime: start,
  lastUpdateTime: start + 5,
  sourceRevisions: [
    { actionName: "SourceArchive", revisionId: revision, revisionSummary: "source/prebake.zip" },
  ],
  trigger: {
    triggerType: "CloudWatchEvent",
    triggerDetail: `arn:aws:events:eu-west-1:123456789012:rule/${PIPELINE}-SourceUploadedRule-XYZ`,
  },
  executionMode: "SUPERSEDED",
});

const execution = (status: string, statusSummary?: string) => ({
  pipelineExecution: {
    pipelineName: PIPELINE,
    pipelineVersion: 3,
    pipelineExecutionId: EXECUTION,
    status,
    ...(statusSummary ? { statusSummary } : {}),
    artifactRevisions: [{ name: "Source", revisionId: VERSION, created: T0 }],
    executionMode: "SUPERSEDED",
  },
});

const actionDetail = (
  stage: string,
  action: string,
  provider: string,
  status: string,
  start: number,
  end: number,
  result?: object,
) => ({
  pipelineExecutionId: EXECUTION,
  actionExecutionId: `${action}-exec`,
  pipelineVersion: 3,
  stageName: stage,
  actionName: action,
  startTime: start,
  lastUpdateTime: end,
  status,
  input: {
    actionTypeId: { category: stage === "Source" ? "Source" : "Build", owner: "AWS", provider, version: "1" },
    configuration: {},
    resolvedConfiguration: {},
    region: "eu-west-1",
    inputArtifacts: [],
  },
  ...(result ? { output: { outputArtifacts: [], executionResult: result, outputVariables: {} } } : {}),
});

const sourceDone = actionDetail("Source", "SourceArchive", "S3", "Succeeded", T0, T0 + 2, {
  externalExecutionId: VERSION,
  externalExecutionSummary: `Amazon S3 version id: ${VERSION}`,
});

/** BatchGetBuilds of the failed build, and its log's last lines. */
const failedBuild = {
  builds: [
    {
      id: BUILD_ID,
      buildStatus: "FAILED",
      buildComplete: true,
      phases: [
        {
          phaseType: "SUBMITTED",
          phaseStatus: "SUCCEEDED",
          startTime: T0 + 3,
          endTime: T0 + 3,
          durationInSeconds: 0,
        },
        {
          phaseType: "PROVISIONING",
          phaseStatus: "SUCCEEDED",
          startTime: T0 + 3,
          endTime: T0 + 24,
          durationInSeconds: 21,
        },
        { phaseType: "INSTALL", phaseStatus: "SUCCEEDED", durationInSeconds: 2 },
        {
          phaseType: "BUILD",
          phaseStatus: "FAILED",
          durationInSeconds: 31,
          contexts: [
            {
              statusCode: "COMMAND_EXECUTION_ERROR",
              message: "Error while executing command: rebar3 eunit. Reason: exit status 1",
            },
          ],
        },
        { phaseType: "POST_BUILD", phaseStatus: "SUCCEEDED", durationInSeconds: 0 },
        { phaseType: "COMPLETED", startTime: T0 + 60 },
      ],
      logs: {
        groupName: "/aws/codebuild/prebake-ci-erlang-app",
        streamName: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      },
    },
  ],
  buildsNotFound: [],
};
const logTail = {
  events: [
    {
      timestamp: (T0 + 55) * 1000,
      message: "  hello_greeter_tests: greet_test...*failed*\n",
      ingestionTime: (T0 + 56) * 1000,
    },
    { timestamp: (T0 + 56) * 1000, message: "Failed: 1.  Passed: 8.\n", ingestionTime: (T0 + 57) * 1000 },
  ],
  nextForwardToken: "f/3800",
  nextBackwardToken: "b/3799",
};

const fast = { followMinutes: 5, pollMs: 1, maxPollMs: 2, startWaitMs: 2000 };

describe("pipeline run in the aws profile (recorded CodePipeline, CodeBuild, Logs and S3 answers)", () => {
  it("uploads, finds the execution the upload started, follows it, and for the failed build shows phases and last log lines (exit 8)", async () => {
    const aws = new RecordedAws({
      "CodePipeline_20150709.GetPipeline": [{ body: getPipeline }],
      ...callerAndBucket,
      "PUT /": [putObject],
      "CodePipeline_20150709.ListPipelineExecutions": [
        // First look: only an older execution (another source version) is there.
        {
          body: { pipelineExecutionSummaries: [summary("older-exec", "prevVersion", T0 - 600, "Succeeded")] },
        },
        {
          body: {
            pipelineExecutionSummaries: [
              summary(EXECUTION, VERSION, T0, "InProgress"),
              summary("older-exec", "prevVersion", T0 - 600, "Succeeded"),
            ],
          },
        },
      ],
      "CodePipeline_20150709.GetPipelineExecution": [
        { body: execution("InProgress") },
        { body: execution("Failed", "Build/ErlangApp failed") },
      ],
      "CodePipeline_20150709.ListActionExecutions": [
        // Round 1, two pages: the source is done, the Erlang build runs.
        { body: { actionExecutionDetails: [sourceDone], nextToken: "page-2" } },
        {
          body: {
            actionExecutionDetails: [
              actionDetail("Build", "ErlangApp", "CodeBuild", "InProgress", T0 + 3, T0 + 10),
            ],
          },
        },
        // Round 2: one page; the Erlang build failed, the layer build succeeded.
        {
          body: {
            actionExecutionDetails: [
              actionDetail("Build", "PythonLayer", "CodeBuild", "Succeeded", T0 + 4, T0 + 100, {
                externalExecutionId: "prebake-ci-python-layer:aaaa",
                externalExecutionSummary: "Build succeeded",
              }),
              actionDetail("Build", "ErlangApp", "CodeBuild", "Failed", T0 + 3, T0 + 63, {
                externalExecutionId: BUILD_ID,
                externalExecutionSummary: "Build terminated with state: FAILED",
              }),
              sourceDone,
            ],
          },
        },
      ],
      "CodeBuild_20161006.BatchGetBuilds": [{ body: failedBuild }],
      "Logs_20140328.GetLogEvents": [{ body: logTail }],
    });
    const { ctx, text } = recordedContext(project(), aws);
    const err = await runRemotePipeline(ctx, "ci", { start: false, ...fast }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as BuildFailedError).exitCode).toBe(8);
    expect((err as BuildFailedError).toLine()).toBe(
      `CodePipeline ${PIPELINE}: execution ${EXECUTION} Failed: action Build/ErlangApp failed (Build terminated with state: FAILED) (fix: Build/ErlangApp failed)`,
    );
    const out = text();
    // The stage/action table, in start order, with durations from the action executions.
    expect(out).toMatch(/Source\s+SourceArchive\s+S3\s+Succeeded\s+2\.0s/);
    expect(out).toMatch(
      /Build\s+ErlangApp\s+CodeBuild\s+Failed\s+1m00s\s+Build terminated with state: FAILED/,
    );
    expect(out).toMatch(/Build\s+PythonLayer\s+CodeBuild\s+Succeeded\s+1m36s/);
    // The failed build: its phases and CodeBuild's reason, then the last log lines.
    expect(out).toMatch(/BUILD\s+FAILED\s+31\.0s/);
    expect(out).toContain(
      "phase BUILD FAILED: Error while executing command: rebar3 eunit. Reason: exit status 1",
    );
    expect(out).toContain("| Failed: 1.  Passed: 8.");
    // The paginator followed nextToken; the log was read from its end.
    const listCalls = aws.requests.filter((r) => r.operation.endsWith("ListActionExecutions"));
    expect(listCalls.map((r) => r.body?.nextToken)).toEqual([undefined, "page-2", undefined]);
    expect(listCalls[0]!.body).toMatchObject({
      pipelineName: PIPELINE,
      filter: { pipelineExecutionId: EXECUTION },
    });
    expect(aws.requests.find((r) => r.operation.endsWith("GetLogEvents"))!.body).toMatchObject({
      startFromHead: false,
      limit: 20,
    });
    expect(aws.operations().filter((o) => o.endsWith("StartPipelineExecution"))).toEqual([]);
    expect(
      aws
        .operations()
        .some(
          (o) => o.startsWith(`PUT /${BUCKET}/source/prebake.zip`) || o.startsWith("PUT /source/prebake.zip"),
        ),
    ).toBe(true);
  });

  it("--start: starts the execution itself and follows it to success", async () => {
    const aws = new RecordedAws({
      "CodePipeline_20150709.GetPipeline": [{ body: getPipeline }],
      ...callerAndBucket,
      "PUT /": [putObject],
      "CodePipeline_20150709.StartPipelineExecution": [{ body: { pipelineExecutionId: EXECUTION } }],
      "CodePipeline_20150709.GetPipelineExecution": [{ body: execution("Succeeded") }],
      "CodePipeline_20150709.ListActionExecutions": [
        {
          body: {
            actionExecutionDetails: [
              sourceDone,
              actionDetail("Build", "ErlangApp", "CodeBuild", "Succeeded", T0 + 3, T0 + 40),
              actionDetail("Build", "PythonLayer", "CodeBuild", "Succeeded", T0 + 4, T0 + 90),
            ],
          },
        },
      ],
    });
    const { ctx } = recordedContext(project(), aws);
    const result = await runRemotePipeline(ctx, "ci", { start: true, ...fast });
    expect(result).toMatchObject({ pipeline: PIPELINE, executionId: EXECUTION, status: "Succeeded" });
    expect(result.actions.map((a) => [a.action, a.status, a.durationMs])).toEqual([
      ["SourceArchive", "Succeeded", 2000],
      ["ErlangApp", "Succeeded", 37_000],
      ["PythonLayer", "Succeeded", 86_000],
    ]);
    expect(aws.operations().filter((o) => o.endsWith("ListPipelineExecutions"))).toEqual([]);
    expect(aws.requests.find((r) => r.operation.endsWith("StartPipelineExecution"))!.body).toMatchObject({
      name: PIPELINE,
    });
  });

  it("no execution starts from the upload within the deadline: exit 5 naming the rule and --start", async () => {
    const aws = new RecordedAws({
      "CodePipeline_20150709.GetPipeline": [{ body: getPipeline }],
      ...callerAndBucket,
      "PUT /": [putObject],
      "CodePipeline_20150709.ListPipelineExecutions": [
        {
          body: { pipelineExecutionSummaries: [summary("older-exec", "prevVersion", T0 - 600, "Succeeded")] },
        },
      ],
    });
    const { ctx } = recordedContext(project(), aws);
    const err = await runRemotePipeline(ctx, "ci", { start: false, ...fast, startWaitMs: 50 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).toLine()).toMatch(
      new RegExp(
        `^CodePipeline ${PIPELINE}: no execution of ${PIPELINE} started from s3://${BUCKET}/source/prebake.zip within 0 s \\(fix: .*SourceUploadedRule.*--start\\)$`,
      ),
    );
  });

  it("an execution still running at --timeout: exit 5, saying where to look and how to follow longer", async () => {
    const aws = new RecordedAws({
      "CodePipeline_20150709.GetPipeline": [{ body: getPipeline }],
      ...callerAndBucket,
      "PUT /": [putObject],
      "CodePipeline_20150709.StartPipelineExecution": [{ body: { pipelineExecutionId: EXECUTION } }],
      "CodePipeline_20150709.GetPipelineExecution": [{ body: execution("InProgress") }],
      "CodePipeline_20150709.ListActionExecutions": [{ body: { actionExecutionDetails: [sourceDone] } }],
    });
    const { ctx } = recordedContext(project(), aws);
    // 0.02 minutes (1.2 s): the deadline passes while the execution is still InProgress, polled every
    // few ms. (0.002 minutes could pass before the first poll on a loaded machine: upload and start
    // run under the same deadline.)
    const err = await runRemotePipeline(ctx, "ci", { ...fast, start: true, followMinutes: 0.02 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).toLine()).toMatch(
      new RegExp(
        `^CodePipeline ${PIPELINE}: the pipeline execution did not finish within .* \\(fix: look at the execution in the CodePipeline console; a longer --timeout follows it further\\)$`,
      ),
    );
    expect(aws.operations().filter((o) => o.endsWith("GetPipelineExecution")).length).toBeGreaterThan(0);
  });

  it("a pipeline that is not deployed: exit 3 before anything is uploaded", async () => {
    const aws = new RecordedAws({
      "CodePipeline_20150709.GetPipeline": [
        {
          status: 400,
          body: {
            __type: "PipelineNotFoundException",
            message: `Account '123456789012' does not have a pipeline with name '${PIPELINE}'`,
          },
        },
      ],
    });
    const { ctx } = recordedContext(project(), aws);
    const err = await runRemotePipeline(ctx, "ci", { start: false, ...fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toBe(
      `CodePipeline ${PIPELINE}: no pipeline '${PIPELINE}' in us-east-1 (fix: deploy its stack first (prebake deploy <stack>))`,
    );
    expect(aws.operations()).toEqual(["CodePipeline_20150709.GetPipeline"]);
  });
});
