import { ConfigError, type Context } from "@prebake/core";
import type { Command } from "commander";
import { runLocalPipeline } from "./pipeline-local.ts";
import { runRemotePipeline } from "./pipeline-remote.ts";

interface PipelineRunOptions {
  local?: boolean;
  start?: boolean;
  timeout: string;
}

function parseFollowMinutes(value: string): number {
  const minutes = Number(value);
  if (!(Number.isInteger(minutes) && minutes >= 1 && minutes <= 10_080)) {
    throw new ConfigError(`'${value}' is not a number of minutes`, {
      where: "--timeout",
      fix: "give whole minutes from 1 to 10080 (a week)",
    });
  }
  return minutes;
}

/** `prebake pipeline run [stack]`: locally in the local profile (or --local), in CodePipeline in aws. */
async function pipelineRun(ctx: Context, ref: string, opts: PipelineRunOptions): Promise<void> {
  if (ctx.config.profile.kind === "aws" && !opts.local) {
    await runRemotePipeline(ctx, ref, {
      start: opts.start ?? false,
      followMinutes: parseFollowMinutes(opts.timeout),
    });
    return;
  }
  await runLocalPipeline(ctx, ref);
}

export function registerPipelineCommands(program: Command, getContext: () => Context): void {
  program
    .command("pipeline")
    .summary("run a stack's CodePipeline: locally, or in AWS and followed to its end")
    .command("run")
    .summary("run the pipeline stacks/<stack>/stack.yaml defines (default: ci)")
    .argument("[pipeline]", "<stack> or <stack>/<LogicalId> of its AWS::CodePipeline::Pipeline", "ci")
    .description(
      "Local profile (or --local): the source action delivers the committed tree (git archive HEAD) as a zip,\n" +
        "as the S3 source would; then every stage's CodeBuild actions run in order of RunOrder in the local\n" +
        "runner, with their projects' images, buildspecs, variables and privileged mode. Input artifacts are\n" +
        "unzipped at CODEBUILD_SRC_DIR (primary) and CODEBUILD_SRC_DIR_<name> (secondary); output artifacts are\n" +
        "zipped to dist/pipelines/<stack>/<name>.zip. Actions with the same RunOrder run one after the other\n" +
        "here (in parallel in CodePipeline). Other actions (approvals, deploys) are skipped and shown so.\n" +
        "aws profile: uploads the committed tree to the pipeline's source bucket and key (streamed), waits for\n" +
        "the execution the upload starts (or starts one with --start), and follows its stages and actions;\n" +
        "for a failed CodeBuild action it prints the build's phases and last log lines.\n" +
        "Prints a stage/action table with statuses and durations. Exit 0 succeeded, 3 bad pipeline or input,\n" +
        "5 a service did not answer (or no execution started in time), 8 an action failed (named),\n" +
        "130/143/129 stopped by a signal (containers and temporary folders removed).",
    )
    .option("--local", "in the aws profile, still run the pipeline here")
    .option(
      "--start",
      "aws: start the execution (StartPipelineExecution) instead of waiting for the upload to",
    )
    .option("--timeout <minutes>", "aws: stop following the execution after this long", "120")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake pipeline run ci\n  prebake --json pipeline run ci\n  prebake --profile aws pipeline run ci\n  prebake --profile aws pipeline run ci --start",
    )
    .action((ref: string, opts: PipelineRunOptions) => pipelineRun(getContext(), ref, opts));
}
