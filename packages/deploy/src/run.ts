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
import { DeployFailedError } from "@prebake/core";
import { parseTemplate, type Template } from "@prebake/stack";
import { canSkip, deployedStateOf, describeReason, desiredStateOf, reportedDifferences } from "./can-skip.ts";
import { createChangeSet, discardChangeSet } from "./change-set.ts";
import { changeRows, formatChangeRows, type ResourceChangeRow } from "./diff.ts";
import { awsStep, type Engine } from "./engine.ts";
import { executeAndFollow } from "./execute.ts";
import { withCarriedOrigins } from "./origins.ts";
import type { PreparedDeploy } from "./prepare.ts";
import { recreate } from "./recreate.ts";
import { classifyStackStatus } from "./status.ts";

export type DeployAction = "created" | "updated" | "skipped" | "no-changes" | "dry-run";

export interface RunOptions {
  /** Create the change set, show it, delete it. */
  dryRun?: boolean;
  /** Create a change set even when nothing differs (tests of the service's empty answers only). */
  bypassSkip?: boolean;
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
  if (disposition.kind === "recreate" && stack) {
    if (options.dryRun) return dryRunOfRecreate(engine, prepared, stack, disposition.why);
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
  const changes = showChanges(engine, changeSet.changes, deployedBody, prepared.template);
  if (options.dryRun) {
    await discardChangeSet(engine, changeSet.ref, changeSet.type);
    out.success(
      `${prepared.name}: dry run - ${changes.length} resource change(s); change set deleted, nothing executed`,
    );
    return { ...done, action: "dry-run", stack: undefined, changes };
  }
  const final = await executeAndFollow(engine, changeSet.ref, changeSet.type);
  const action = changeSet.type === "CREATE" ? "created" : "updated";
  return { ...done, action, stack: final, changes, status: final.StackStatus };
}

/** Print the diff: one line per resource, and under a Modify the properties that change. */
function showChanges(
  engine: Engine,
  changes: Change[],
  deployedBody: string | undefined,
  next: Template,
): ResourceChangeRow[] {
  let deployed: Template | undefined;
  try {
    deployed = deployedBody === undefined ? undefined : parseTemplate(deployedBody, "deployed template");
  } catch {
    deployed = undefined; // only used for the property diff
  }
  const rows = changeRows(changes, deployed, next);
  if (rows.length === 0)
    engine.out.info("the change set lists no resource changes (stack parameters or tags)");
  for (const line of formatChangeRows(rows)) engine.out.info(line);
  return rows;
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
