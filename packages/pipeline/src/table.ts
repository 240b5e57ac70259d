/**
 * The stage/action table of a pipeline run, the same for a local run and one followed in AWS,
 * with CodePipeline's own status words (Succeeded, Failed, InProgress, Stopped, ...).
 */
import { type Context, formatDuration, type PipelineRun } from "@prebake/core";

export interface ActionRow {
  stage: string;
  action: string;
  provider: string;
  status: string;
  durationMs: number | undefined;
  /** The image, the artifacts written, why it was skipped, or what failed. */
  detail: string;
}

/** core's pipeline run, the same for a local run and one followed in AWS. */
export interface PipelineRunResult extends PipelineRun {
  /** Where the run happened: "local" or the AWS region. */
  where: string;
  actions: ActionRow[];
  /** Local runs: the folder holding every artifact zip. */
  artifactsDir?: string;
}

export function printPipelineTable(ctx: Context, rows: ActionRow[]): void {
  ctx.out.table(
    ["stage", "action", "provider", "status", "duration", "detail"],
    rows.map((r) => [
      r.stage,
      r.action,
      r.provider,
      r.status,
      r.durationMs === undefined ? "-" : formatDuration(r.durationMs),
      r.detail,
    ]),
  );
}
