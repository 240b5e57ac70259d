import type { Context } from "@prebake/core";
import { parseIntegerOption } from "@prebake/core/options";
import type { Command } from "commander";

// A registrar loads nothing a command's work needs: the local or remote run is imported when the
// command runs (packages/cli/src/registrars.ts).

interface PipelineRunOptions {
  local?: boolean;
  start?: boolean;
  timeout: string;
}

const parseFollowMinutes = (value: string) =>
  parseIntegerOption(value, {
    option: "--timeout",
    what: "a number of minutes",
    min: 1,
    max: 10_080,
    fix: "give whole minutes from 1 to 10080 (a week)",
  });

/** Lines under 80 columns: commander wraps longer ones mid-sentence in a plain terminal. */
const PIPELINE_RUN_HELP = [
  "Run the AWS::CodePipeline::Pipeline of stacks/<stack>/stack.yaml.",
  "",
  "Local profile (or --local), stage by stage:",
  "  Source     the committed tree (git archive HEAD) as <artifact>.zip, as the",
  "             S3 source delivers it (uncommitted changes are not in it).",
  "  CodeBuild  each action in the local runner, in its project's pushed image,",
  "             with its buildspec, variables, privileged mode and timeout.",
  "             The primary input is at CODEBUILD_SRC_DIR, every other input at",
  "             CODEBUILD_SRC_DIR_<name>; the output is zipped to",
  "             dist/pipelines/<stack>/<artifact>.zip.",
  "  others     approvals, deploys: skipped, and shown as Skipped.",
  "Actions run in RunOrder; those sharing one run one after the other here",
  "(in parallel in CodePipeline). When an action fails, the rest of its",
  "RunOrder still runs, nothing later does (NotRun).",
  "",
  "aws profile: uploads the committed tree to the pipeline's S3 source",
  "(streamed), waits for the execution that upload starts (or --start), and",
  "follows its stages and actions; a failed CodeBuild action shows its build's",
  "phases and last log lines.",
  "",
  "Both end with the stage/action table (status, duration, image and artifact).",
  "",
  "Exit codes: 0 succeeded; 3 bad pipeline, project or input (before anything",
  "runs); 5 a service did not answer, or no execution started in time;",
  "8 an action failed (its name is in the message); 129/130/143 stopped by a",
  "signal (build containers and temporary folders removed first).",
].join("\n");

/** `prebake pipeline run [stack]`: locally in the local profile (or --local), in CodePipeline in aws. */
async function pipelineRun(ctx: Context, ref: string, opts: PipelineRunOptions): Promise<void> {
  if (ctx.config.profile.kind === "aws" && !opts.local) {
    const { runRemotePipeline } = await import("./remote.ts");
    await runRemotePipeline(ctx, ref, {
      start: opts.start ?? false,
      followMinutes: parseFollowMinutes(opts.timeout),
    });
    return;
  }
  const { runLocalPipeline } = await import("./local.ts");
  await runLocalPipeline(ctx, ref);
}

export function registerPipelineCommands(program: Command, getContext: () => Context): void {
  program
    .command("pipeline")
    .summary("run a stack's CodePipeline: locally, or in AWS and followed to its end")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake pipeline run ci\n  prebake --profile aws pipeline run ci --start",
    )
    .command("run")
    .summary("run the pipeline stacks/<stack>/stack.yaml defines (default: ci)")
    .argument("[pipeline]", "<stack> or <stack>/<LogicalId> of its AWS::CodePipeline::Pipeline", "ci")
    .description(PIPELINE_RUN_HELP)
    .option("--local", "in the aws profile, still run the pipeline here")
    .option(
      "--start",
      "aws: start an execution (StartPipelineExecution); without it, wait for the one the upload starts",
    )
    .option("--timeout <minutes>", "aws: stop following the execution after this long (exit 5)", "120")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  prebake pipeline run ci                       # the ci stack's pipeline, here\n" +
        "  prebake --json pipeline run ci                # the result as JSON on stdout\n" +
        "  prebake pipeline run ci; echo $?              # 8: an action failed (named)\n" +
        "  prebake --profile aws pipeline run ci         # upload, then follow in AWS\n" +
        "  prebake --profile aws pipeline run ci --start # no EventBridge rule: start it\n" +
        "  prebake --profile aws pipeline run ci --local # the aws stack, run here",
    )
    .action((ref: string, opts: PipelineRunOptions) => pipelineRun(getContext(), ref, opts));
}
