/**
 * The change set step: create one, wait until CloudFormation has computed it, and read its
 * changes. An empty one (the service found nothing to change) is an outcome, not a failure.
 * Nothing is left behind on failure: the change set is deleted, and for a create the empty
 * REVIEW_IN_PROGRESS stack too.
 */
import type { Change, Stack } from "@aws-sdk/client-cloudformation";
import { DeployFailedError, firstLine, isAwsError } from "@prebake/core";
import type { ChangeSetRef, ChangeSetState } from "./cfn-api.ts";
import { awsFailure, awsStep, canCleanUpAfter, type Engine, waitOptions } from "./engine.ts";
import { pollUntil } from "./poll.ts";
import type { PreparedDeploy } from "./prepare.ts";
import { deleteStackAndWait } from "./recreate.ts";
import { templateSource } from "./template-source.ts";

export type ChangeSetType = "CREATE" | "UPDATE";

export type ChangeSetOutcome =
  /** The service found nothing to change (in its answer to the create, or as a FAILED change set). */
  | { kind: "empty"; message: string }
  | { kind: "ready"; ref: ChangeSetRef; type: ChangeSetType; changes: Change[] };

const EMPTY_CHANGE_SET = /didn't contain changes|No updates are to be performed/i;

/** Create the change set (UPDATE for a deployed stack, else CREATE) and read it once computed. */
export async function createChangeSet(
  engine: Engine,
  prepared: PreparedDeploy,
  deployed: Stack | undefined,
): Promise<ChangeSetOutcome> {
  const type: ChangeSetType = deployed ? "UPDATE" : "CREATE";
  const changeSetName = `prebake-${Date.now()}`;
  const template = await awsStep(engine, "uploading the template to S3", () =>
    templateSource(prepared.stackName, prepared.body, engine.uploadTemplate),
  );
  if ("url" in template) engine.out.info(`template is over 51200 bytes: sent as ${template.url}`);
  let ref: ChangeSetRef;
  try {
    ref = await engine.api.createChangeSet({
      stackName: prepared.stackName,
      changeSetName,
      type,
      template,
      parameters: prepared.parameters,
      tags: prepared.tags,
      capabilities: prepared.capabilities,
      description: `prebake deploy ${prepared.name}`,
    });
  } catch (err) {
    // The service answers an identical update either way: here, or as a FAILED change set below.
    if (isAwsError(err, "ValidationError", EMPTY_CHANGE_SET))
      return { kind: "empty", message: firstLine(err) };
    throw awsFailure(engine, err, "CreateChangeSet");
  }
  engine.out.debug(`change set ${changeSetName} (${type})`);

  let state: ChangeSetState;
  let changes: Change[] = [];
  try {
    state = await waitForChangeSet(engine, ref);
    if (state.status !== "FAILED")
      changes = await awsStep(engine, "DescribeChangeSet", () => engine.api.changeSetChanges(ref));
  } catch (err) {
    if (canCleanUpAfter(err)) await discardChangeSet(engine, ref, type);
    throw err;
  }
  if (state.status === "FAILED") {
    const reason = state.reason ?? "no reason given";
    await discardChangeSet(engine, ref, type);
    if (EMPTY_CHANGE_SET.test(reason))
      return { kind: "empty", message: "the service found nothing to change; change set deleted" };
    throw new DeployFailedError(`change set failed: ${reason}`, {
      where: `stack ${engine.stackName}`,
      fix: "fix the template or parameters and deploy again",
    });
  }
  return { kind: "ready", ref, type, changes };
}

async function waitForChangeSet(engine: Engine, ref: ChangeSetRef): Promise<ChangeSetState> {
  let last = "CREATE_PENDING";
  return pollUntil(
    async () => {
      const state = await awsStep(engine, "DescribeChangeSet", () => engine.api.changeSetState(ref));
      last = state.status;
      return state.status === "CREATE_PENDING" || state.status === "CREATE_IN_PROGRESS" ? undefined : state;
    },
    waitOptions(engine, () => `the change set of stack ${engine.stackName} is still ${last}`),
  );
}

/** Leave nothing behind: the change set, and for a create the empty REVIEW_IN_PROGRESS stack. */
export async function discardChangeSet(
  engine: Engine,
  ref: ChangeSetRef,
  type: ChangeSetType,
): Promise<void> {
  try {
    await engine.api.deleteChangeSet(ref);
  } catch (err) {
    engine.out.warn(`could not delete change set ${ref.changeSetId}: ${firstLine(err)}`);
  }
  if (type === "CREATE") await deleteStackAndWait(engine, ref.stackId, { quiet: true });
}
