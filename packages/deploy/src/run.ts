/**
 * The deploy engine's orchestration, shaped like the CDK toolkit's deploy-stack but smaller:
 *
 *   DescribeStacks -> (recreate a ROLLBACK_COMPLETE stack) -> GetTemplate -> canSkip ->
 *   skip | createChangeSet -> diff -> (dry run: discard) | executeAndFollow
 *
 * Each step is its own module over the StackApi interface, so this runs against CloudFormation,
 * the emulator, or a fake in the unit tests. A no-op deploy makes two read-only calls and never
 * sleeps. `prepare` (no CloudFormation call) has already run.
 */
import type { Change, Stack } from "@aws-sdk/client-cloudformation";
import { DeployFailedError, firstLine } from "@prebake/core";
import { parseTemplate, type Template } from "@prebake/stack";
import type { Approval } from "./approval.ts";
import { canSkip, deployedStateOf, describeReason, desiredStateOf, reportedDifferences } from "./can-skip.ts";
import { createChangeSet, discardChangeSet } from "./change-set.ts";
import { changeRows, formatChangeRows, type ResourceChangeRow } from "./diff.ts";
import { awsStep, type Engine } from "./engine.ts";
import { executeAndFollow } from "./execute.ts";
import { withCarriedOrigins } from "./origins.ts";
import type { PreparedDeploy } from "./prepare.ts";
import { recreate } from "./recreate.ts";
import { type ReviewSummary, reviewChanges } from "./review.ts";
import { classifyStackStatus } from "./status.ts";

export type DeployAction = "created" | "updated" | "skipped" | "no-changes" | "dry-run";

export interface RunOptions {
  /** Create the change set, show it, delete it. */
  dryRun?: boolean;
  /** Create a change set even when nothing differs (tests of the service's empty answers only). */
  bypassSkip?: boolean;
  /** Show the full review (diff, security summary, stateful replacements); a dry run and an approval always do. */
  review?: boolean;
  /** A protected environment's approval: asked after the review, before anything executes. */
  approval?: Approval | undefined;
}

export interface DeployOutcome {
  action: DeployAction;
  /** The stack as it now stands when it is deployed (skipped, created, updated): its outputs are written. */
  stack: Stack | undefined;
  changes: ResourceChangeRow[];
  /** Why a change set was needed (empty when skipped). */
  differences: string[];
  /** True when a ROLLBACK_COMPLETE / REVIEW_IN_PROGRESS stack was deleted first. */
  recreated: boolean;
  status: string | undefined;
  /** What the review found (a dry run, or a protected environment). */
  review?: ReviewSummary;
}

export async function runDeploy(
  engine: Engine,
  toDeploy: PreparedDeploy,
  options: RunOptions = {},
): Promise<DeployOutcome> {
  const { out } = engine;
  let stack = await awsStep(engine, "DescribeStacks", () => engine.api.describeStack(toDeploy.stackName));
  const prepared = withCarriedOrigins(toDeploy, stack);
  const disposition = classifyStackStatus(stack?.StackStatus, prepared.stackName);
  if (disposition.kind === "stuck") {
    throw new DeployFailedError(`cannot deploy: ${disposition.why}`, {
      where: `stack ${prepared.stackName}`,
      fix: disposition.instruction,
    });
  }
  let recreated = false;
  let approved = false;
  if (disposition.kind === "recreate" && stack) {
    if (options.dryRun) return dryRunOfRecreate(engine, prepared, stack, disposition.why);
    if (options.approval) {
      // Deleting is a change too: the whole template is reviewed as the create it becomes.
      await showReview(engine, undefined, prepared.template, []);
      await options.approval.confirm(
        `delete stack ${prepared.stackName} (${disposition.why}) and create it again`,
        `stack ${prepared.stackName}`,
      );
      approved = true;
    }
    await recreate(engine, stack, disposition.why);
    stack = undefined;
    recreated = true;
  }
  const deployedBody =
    stack && (await awsStep(engine, "GetTemplate", () => engine.api.templateBody(prepared.stackName)));
  const decision = canSkip(desiredStateOf(prepared), stack && deployedStateOf(stack, deployedBody ?? ""), {
    force: options.bypassSkip ?? false,
  });
  const done = { differences: reportedDifferences(decision.reasons), recreated, status: stack?.StackStatus };
  if (decision.skip) {
    out.success(`${prepared.name}: unchanged (template, parameters, tags, capabilities) - skipped`);
    return { ...done, action: "skipped", stack, changes: [] };
  }
  if (stack) out.info(`changed: ${decision.reasons.map(describeReason).join("; ")}`);

  const changeSet = await createChangeSet(engine, prepared, stack);
  if (changeSet.kind === "empty") {
    out.success(`${prepared.name}: no changes (${changeSet.message})`);
    return { ...done, action: "no-changes", stack: undefined, changes: [] };
  }
  const deployed = parseDeployed(deployedBody);
  const changes = changeRows(changeSet.changes, deployed, prepared.template);
  if (changes.length === 0) out.info("the change set lists no resource changes (stack parameters or tags)");
  const reviewing = options.review || options.dryRun || options.approval !== undefined;
  showRows(engine, changes);
  const review = reviewing
    ? await showReview(engine, deployed, prepared.template, changeSet.changes)
    : undefined;
  const reviewed = { ...done, changes, ...(review ? { review } : {}) };
  if (options.dryRun) {
    await discardChangeSet(engine, changeSet.ref, changeSet.type);
    out.success(
      `${prepared.name}: dry run - ${changes.length} resource change(s); change set deleted, nothing executed`,
    );
    return { ...reviewed, action: "dry-run", stack: undefined };
  }
  if (options.approval && !approved) {
    const verb = changeSet.type === "CREATE" ? "create" : "update";
    try {
      await options.approval.confirm(`${verb} stack ${prepared.stackName}`, `stack ${prepared.stackName}`);
    } catch (err) {
      await discardChangeSet(engine, changeSet.ref, changeSet.type);
      throw err;
    }
  }
  const final = await executeAndFollow(engine, changeSet.ref, changeSet.type);
  const action = changeSet.type === "CREATE" ? "created" : "updated";
  return { ...reviewed, action, stack: final, status: final.StackStatus };
}

/** The deployed template, for the property diff and the review (undefined when unreadable). */
function parseDeployed(deployedBody: string | undefined): Template | undefined {
  try {
    return deployedBody === undefined ? undefined : parseTemplate(deployedBody, "deployed template");
  } catch {
    return undefined;
  }
}

/** The compact diff: one line per resource, and under a Modify the properties that change. */
function showRows(engine: Engine, rows: ResourceChangeRow[]): void {
  for (const line of formatChangeRows(rows)) engine.out.info(line);
}

/**
 * The full review (review.ts) under the compact diff. Should the library fail on a template, a
 * warning says so and the compact diff above is all there is; an approval is still asked for.
 */
async function showReview(
  engine: Engine,
  deployed: Template | undefined,
  next: Template,
  changes: Change[],
): Promise<ReviewSummary | undefined> {
  engine.out.info("review:");
  try {
    const { lines, ...summary } = await reviewChanges(deployed, next, changes);
    for (const line of lines) engine.out.info(`  ${line}`);
    return summary;
  } catch (err) {
    engine.out.warn(`the full review could not be computed (${firstLine(err)}); only the compact diff above`);
    return undefined;
  }
}

/** A dry run of a stack that a deploy would delete and create again: every resource is an Add. */
function dryRunOfRecreate(
  engine: Engine,
  prepared: PreparedDeploy,
  stack: Stack,
  why: string,
): DeployOutcome {
  engine.out.info(`stack ${prepared.stackName}: ${why}; a deploy deletes it and creates it again`);
  const changes = Object.entries(prepared.template.Resources ?? {}).map(([id, r]) => ({
    action: "Add",
    logicalId: id,
    type: r.Type,
    properties: [],
    detailFrom: "none" as const,
  }));
  for (const line of formatChangeRows(changes)) engine.out.info(line);
  return {
    action: "dry-run",
    stack: undefined,
    changes,
    differences: [],
    recreated: false,
    status: stack.StackStatus,
  };
}
