/**
 * The execution an upload starts: the stack's EventBridge rule starts the pipeline when the source
 * object is written, and the execution names the object's version as its source revision. Found
 * with ListPipelineExecutions (newest first); the wait has a deadline.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  CodePipelineClient,
  type PipelineExecutionSummary,
  paginateListPipelineExecutions,
} from "@aws-sdk/client-codepipeline";
import { FollowDeadline, type UploadedSource } from "@prebake/codebuild";
import { type Context, describeMs, UnavailableError } from "@prebake/core";

/** Executions newer than this many are not looked at: the upload's execution is among the newest. */
const NEWEST = 50;

/**
 * Whether an execution is the one the upload started: its source revision is the uploaded
 * version; a bucket without versioning gives none, then the first execution that started after
 * the upload began is taken.
 */
export function startedByUpload(summary: PipelineExecutionSummary, uploaded: UploadedSource): boolean {
  if (uploaded.versionId)
    return (summary.sourceRevisions ?? []).some((r) => r.revisionId === uploaded.versionId);
  return (summary.startTime?.getTime() ?? 0) >= uploaded.startedAt.getTime();
}

async function findExecution(
  ctx: Context,
  name: string,
  uploaded: UploadedSource,
  deadline: FollowDeadline,
): Promise<string | undefined> {
  return deadline.send(async (abortSignal) => {
    let seen = 0;
    const pages = paginateListPipelineExecutions(
      { client: ctx.aws(CodePipelineClient), pageSize: 25 },
      { pipelineName: name },
    );
    for await (const page of pages) {
      const summaries = page.pipelineExecutionSummaries ?? [];
      const match = summaries.filter((s) => startedByUpload(s, uploaded)).at(-1);
      if (match?.pipelineExecutionId) return match.pipelineExecutionId;
      seen += summaries.length;
      if (seen >= NEWEST || abortSignal.aborted) return undefined;
    }
    return undefined;
  });
}

export async function waitForExecution(
  ctx: Context,
  name: string,
  uploaded: UploadedSource,
  opts: { deadlineMs: number; pollMs?: number | undefined },
): Promise<string> {
  const deadline = new FollowDeadline(
    opts.deadlineMs,
    `CodePipeline ${name}`,
    "no execution started",
    "check the stack's EventBridge rule (SourceUploadedRule) and the bucket's EventBridge notifications, or pass --start",
  );
  ctx.out.info(`waiting for the execution the upload starts (up to ${describeMs(opts.deadlineMs)})`);
  const delay = opts.pollMs ?? 5000;
  for (;;) {
    const id = await findExecution(ctx, name, uploaded, deadline);
    if (id) return id;
    if (deadline.left() === 0) {
      throw new UnavailableError(
        `no execution of ${name} started from s3://${uploaded.bucket}/${uploaded.key} within ${describeMs(opts.deadlineMs)}`,
        {
          where: `CodePipeline ${name}`,
          fix: "check the stack's EventBridge rule (SourceUploadedRule) and the bucket's EventBridge notifications, or pass --start",
        },
      );
    }
    await sleep(Math.min(delay, deadline.left()));
  }
}
