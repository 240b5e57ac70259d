/**
 * `deployStack`: one stack from stacks/<name>/stack.yaml to CloudFormation, in named steps:
 * prepare (no CloudFormation call) -> runDeploy (canSkip, createChangeSet, executeAndFollow, recreate) ->
 * outputs to dist/stacks/<name>.json. Each step is its own module; this wires them to the
 * context's CloudFormation client and reports the result with the AWS calls it took.
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  assertEnvironmentAccount,
  awsCallLog,
  type Context,
  DEFAULT_TIMEOUTS,
  type DeployRun,
  formatDuration,
  stackNameIn,
} from "@prebake/core";
import { readStackTemplate } from "@prebake/stack";
import { countCalls } from "./api-calls.ts";
import { approvalFor } from "./approval.ts";
import { cloudFormationApi, type StackApi } from "./cfn-api.ts";
import type { ResourceChangeRow } from "./diff.ts";
import { awsStep, type Engine } from "./engine.ts";
import { keptImageValues } from "./image-parameters.ts";
import { writeStackOutputs } from "./outputs.ts";
import { type Backoff, DEFAULT_BACKOFF } from "./poll.ts";
import { type PrepareOptions, prepare } from "./prepare.ts";
import type { ReviewSummary } from "./review.ts";
import { type DeployAction, type RunOptions, runDeploy } from "./run.ts";
import { s3TemplateUploader } from "./template-source.ts";

export type { DeployAction } from "./run.ts";

export interface DeployOptions extends PrepareOptions, RunOptions {
  backoff?: Backoff;
  /** `--approve`: a protected environment's change goes ahead without asking (approval.ts). */
  approve?: boolean;
}

/** core's deploy run, with what the deploy changed and found. */
export interface DeployResult extends DeployRun {
  /** The environment deployed to (`default`: the profile's implicit one), and its profile. */
  environment: string;
  profile: string;
  action: DeployAction;
  changes: ResourceChangeRow[];
  /** Why a change set was needed (empty when skipped). */
  differences: string[];
  /** True when a ROLLBACK_COMPLETE / REVIEW_IN_PROGRESS stack was deleted first. */
  recreated: boolean;
  status: string | undefined;
  outputs: Record<string, string>;
  durationMs: number;
  apiCalls: number;
  apiCallsByCommand: Record<string, number>;
  /** The review's findings (a dry run, or a protected environment): IAM, security groups, stateful losses. */
  review?: ReviewSummary;
}

/** In a protected environment, the images its stack runs (see keptImageValues); elsewhere undefined. */
async function protectedEnvironmentImages(ctx: Context, api: Pick<StackApi, "describeStack">, name: string) {
  const { environment, rootDir } = ctx.config;
  if (!environment.protected) return undefined;
  const { template } = readStackTemplate(rootDir, name);
  return keptImageValues(api, template, stackNameIn(ctx.config, name), environment.name);
}

/** The engine for one stack folder in the context's environment (deploy, destroy). */
export function stackEngine(ctx: Context, name: string, backoff: Backoff = DEFAULT_BACKOFF): Engine {
  const { config, out } = ctx;
  return {
    api: cloudFormationApi(ctx.aws(CloudFormationClient)),
    out,
    stackName: stackNameIn(config, name),
    profile: config.profile,
    backoff,
    waitMs: (config.profile.timeouts ?? DEFAULT_TIMEOUTS).stackMs,
    uploadTemplate: s3TemplateUploader(ctx),
  };
}

export async function deployStack(
  ctx: Context,
  name: string,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const started = performance.now();
  const firstCall = awsCallLog.length;
  const { config, out } = ctx;
  const engine = stackEngine(ctx, name, options.backoff);
  const { environment } = config;
  out.step(
    `deploy ${name} -> ${engine.stackName}${environment.implicit ? "" : ` (environment ${environment.name})`}`,
  );
  await assertEnvironmentAccount(ctx);
  const images =
    options.images ??
    (await awsStep(engine, "DescribeStacks", () => protectedEnvironmentImages(ctx, engine.api, name)));
  const prepared = await prepare(ctx, name, { ...options, ...(images ? { images } : {}) });
  const approval =
    options.approval ?? approvalFor(config.environment, out, { approve: options.approve ?? false });
  const outcome = await runDeploy(engine, prepared, { ...options, approval });
  const outputs = outcome.stack
    ? await writeStackOutputs(config.rootDir, config.environment, name, outcome.stack)
    : {};
  if (outcome.action === "created" || outcome.action === "updated") {
    out.success(
      `${name}: ${outcome.action} (${outcome.status}) in ${formatDuration(performance.now() - started)}`,
    );
  }
  const calls = countCalls(awsCallLog.slice(firstCall));
  out.debug(
    `AWS API calls: ${calls.total} (${Object.entries(calls.byCommand)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ")})`,
  );
  return {
    kind: "deploy",
    stack: name,
    stackName: prepared.stackName,
    environment: config.environment.name,
    profile: config.profile.name,
    action: outcome.action,
    changes: outcome.changes,
    differences: outcome.differences,
    recreated: outcome.recreated,
    status: outcome.status,
    outputs,
    durationMs: Math.round(performance.now() - started),
    apiCalls: calls.total,
    apiCallsByCommand: calls.byCommand,
    ...(outcome.review ? { review: outcome.review } : {}),
  };
}
