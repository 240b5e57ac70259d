/**
 * `prebake pipeline run` in the aws profile: upload the committed tree to the pipeline's S3
 * source, find the execution that upload starts (the stack's EventBridge rule), or start one with
 * --start, and follow it: stages and actions with their statuses and durations; a failed
 * CodeBuild action's phases and last log lines (remote.ts owns those). Every wait has a deadline.
 * The emulator has no pipeline executions: this path is unit-tested on recorded response shapes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ActionExecutionDetail,
  CodePipelineClient,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  type PipelineDeclaration,
  type PipelineExecution,
  paginateListActionExecutions,
  StartPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { FollowDeadline, showFinishedBuild, uploadSourceArchive } from "@prebake/codebuild";
import {
  BuildFailedError,
  ConfigError,
  type Context,
  classifyAwsError,
  isNotFound,
  UnavailableError,
} from "@prebake/core";
import { loadPipeline } from "./plan.ts";
import { type ActionRow, type PipelineRunResult, printPipelineTable } from "./table.ts";
import { waitForExecution } from "./wait.ts";

export interface RemotePipelineOptions {
  start: boolean;
  /** Give up following after this long (exit 5). */
  followMinutes: number;
  /** How long the upload may take to start an execution (default 5 min). */
  startWaitMs?: number;
  /** First poll interval; doubles to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
}

const FINAL = new Set(["Succeeded", "Failed", "Stopped", "Superseded", "Cancelled"]);

/** Map an SDK error of a pipeline call to one line; a pipeline that is not deployed says so. */
function pipelineError(ctx: Context, name: string, err: unknown): unknown {
  const mapped = classifyAwsError(err, ctx.config.profile, `CodePipeline ${name}`);
  if (mapped !== err) return mapped;
  if (isNotFound(err)) {
    return new ConfigError(`no pipeline '${name}' in ${ctx.config.profile.region}`, {
      where: `CodePipeline ${name}`,
      fix: "deploy its stack first (prebake deploy <stack>)",
    });
  }
  return err;
}

/** The S3 bucket and key of the pipeline's source action, as deployed. */
export function s3Source(
  pipeline: PipelineDeclaration | undefined,
  name: string,
): { bucket: string; key: string } {
  const source = pipeline?.stages?.[0]?.actions?.find(
    (a) => a.actionTypeId?.category === "Source" && a.actionTypeId.provider === "S3",
  );
  const bucket = source?.configuration?.S3Bucket;
  const key = source?.configuration?.S3ObjectKey;
  if (!bucket || !key) {
    throw new ConfigError("the pipeline's first stage has no S3 source action to upload to", {
      where: `CodePipeline ${name}`,
      fix: "a pipeline with another source (a repository connection) is started by a push to it",
    });
  }
  return { bucket, key };
}

/** One table row per action execution, in the order CodePipeline lists them (stage, then start). */
export function actionRows(details: ActionExecutionDetail[]): ActionRow[] {
  return [...details]
    .sort((a, b) => (a.startTime?.getTime() ?? 0) - (b.startTime?.getTime() ?? 0))
    .map((d) => ({
      stage: d.stageName ?? "",
      action: d.actionName ?? "",
      provider: d.input?.actionTypeId?.provider ?? "",
      status: d.status ?? "",
      durationMs:
        d.startTime && d.lastUpdateTime && d.status !== "InProgress"
          ? d.lastUpdateTime.getTime() - d.startTime.getTime()
          : undefined,
      detail: d.output?.executionResult?.externalExecutionSummary ?? "",
    }));
}

async function listActions(
  ctx: Context,
  deadline: FollowDeadline,
  name: string,
  executionId: string,
): Promise<ActionExecutionDetail[]> {
  const out: ActionExecutionDetail[] = [];
  await deadline.send(async (abortSignal) => {
    const pages = paginateListActionExecutions(
      { client: ctx.aws(CodePipelineClient) },
      { pipelineName: name, filter: { pipelineExecutionId: executionId } },
    );
    for await (const page of pages) {
      if (abortSignal.aborted) break;
      out.push(...(page.actionExecutionDetails ?? []));
    }
  });
  return out;
}

/** Poll the execution to a final status, printing each action once it starts and once it ends. */
async function followExecution(
  ctx: Context,
  name: string,
  executionId: string,
  deadline: FollowDeadline,
  opts: RemotePipelineOptions,
): Promise<{ execution: PipelineExecution; details: ActionExecutionDetail[] }> {
  const client = ctx.aws(CodePipelineClient);
  const printed = new Set<string>();
  let delay = opts.pollMs ?? 5000;
  for (;;) {
    const { pipelineExecution } = await deadline.send((abortSignal) =>
      client.send(new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: executionId }), {
        abortSignal,
      }),
    );
    const details = await listActions(ctx, deadline, name, executionId);
    for (const row of actionRows(details)) {
      const key = `${row.stage}/${row.action}:${row.status}`;
      if (printed.has(key)) continue;
      printed.add(key);
      ctx.out.info(
        `${`${row.stage}/${row.action}`.padEnd(32)} ${row.status}${row.detail ? `: ${row.detail}` : ""}`,
      );
    }
    if (pipelineExecution && FINAL.has(pipelineExecution.status ?? ""))
      return { execution: pipelineExecution, details };
    if (deadline.left() === 0) throw deadline.expired();
    await sleep(Math.min(delay, deadline.left()));
    delay = Math.min(delay * 2, opts.maxPollMs ?? 30_000);
  }
}

async function startExecution(ctx: Context, name: string, deadline: FollowDeadline): Promise<string> {
  const { pipelineExecutionId } = await deadline.send((abortSignal) =>
    ctx.aws(CodePipelineClient).send(new StartPipelineExecutionCommand({ name }), { abortSignal }),
  );
  if (!pipelineExecutionId) {
    throw new UnavailableError("StartPipelineExecution returned no execution id", {
      where: `CodePipeline ${name}`,
      fix: "look at the pipeline in the CodePipeline console",
    });
  }
  return pipelineExecutionId;
}

/** For each failed CodeBuild action: the build's phases and last log lines. */
async function showFailedBuilds(ctx: Context, details: ActionExecutionDetail[], deadline: FollowDeadline) {
  for (const d of details) {
    const buildId = d.output?.executionResult?.externalExecutionId;
    if (d.status === "Failed" && d.input?.actionTypeId?.provider === "CodeBuild" && buildId)
      await showFinishedBuild(ctx, buildId, deadline);
  }
}

/** Upload the source, find or start the execution, follow it to its end; exit 8 naming a failed action. */
export async function runRemotePipeline(
  ctx: Context,
  ref: string,
  opts: RemotePipelineOptions,
): Promise<PipelineRunResult> {
  const started = Date.now();
  const { name } = loadPipeline(ctx, ref);
  const deadline = new FollowDeadline(
    opts.followMinutes * 60_000,
    `CodePipeline ${name}`,
    "the pipeline execution did not finish",
    "look at the execution in the CodePipeline console; a longer --timeout follows it further",
  );
  const pipeline = await deadline
    .send((abortSignal) =>
      ctx.aws(CodePipelineClient).send(new GetPipelineCommand({ name }), { abortSignal }),
    )
    .catch((err: unknown) => {
      throw pipelineError(ctx, name, err);
    });
  const { bucket, key } = s3Source(pipeline.pipeline, name);
  const uploaded = await uploadSourceArchive(ctx, bucket, key);
  const executionId = await (opts.start
    ? startExecution(ctx, name, deadline)
    : waitForExecution(ctx, name, uploaded, { deadlineMs: opts.startWaitMs ?? 300_000, pollMs: opts.pollMs })
  ).catch((err: unknown) => {
    throw pipelineError(ctx, name, err);
  });
  ctx.out.step(`execution ${executionId} of ${name}`);
  const { execution, details } = await followExecution(ctx, name, executionId, deadline, opts).catch(
    (err: unknown) => {
      throw pipelineError(ctx, name, err);
    },
  );
  const result: PipelineRunResult = {
    kind: "pipeline",
    pipeline: name,
    executionId,
    status: execution.status ?? "Unknown",
    where: ctx.config.profile.region,
    actions: actionRows(details),
    durationMs: Date.now() - started,
  };
  printPipelineTable(ctx, result.actions);
  await showFailedBuilds(ctx, details, deadline);
  ctx.out.result(result);
  if (result.status !== "Succeeded") {
    const failed = result.actions.find((a) => a.status === "Failed");
    const what = failed
      ? `: action ${failed.stage}/${failed.action} failed${failed.detail ? ` (${failed.detail})` : ""}`
      : "";
    throw new BuildFailedError(`execution ${executionId} ${result.status}${what}`, {
      where: `CodePipeline ${name}`,
      fix: execution.statusSummary ?? "see the actions and the build output above",
    });
  }
  ctx.out.success(`pipeline ${name} execution ${executionId} succeeded`);
  return result;
}
