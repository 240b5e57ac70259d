/**
 * The execute step: run a computed change set and follow the stack's events until it settles.
 * A failure is one DeployFailedError naming the root cause (the first resource that failed, not
 * the ones cancelled because of it) and the final status.
 */
import type { Stack, StackEvent } from "@aws-sdk/client-cloudformation";
import { awsErrorName, classifyAwsError, DeployFailedError, firstLine, isPrebakeError } from "@prebake/core";
import type { ChangeSetRef } from "./cfn-api.ts";
import { type ChangeSetType, discardChangeSet } from "./change-set.ts";
import { canCleanUpAfter, type Engine } from "./engine.ts";
import { findRootCause } from "./events.ts";
import { followStack, seenEvents } from "./follow.ts";
import { isSuccessStatus } from "./status.ts";

/** Execute the change set; resolves with the stack once it is CREATE_COMPLETE or UPDATE_COMPLETE. */
export async function executeAndFollow(
  engine: Engine,
  ref: ChangeSetRef,
  type: ChangeSetType,
): Promise<Stack> {
  let seen: Set<string>;
  try {
    seen = await seenEvents(engine, ref.stackId);
  } catch (err) {
    if (canCleanUpAfter(err)) await discardChangeSet(engine, ref, type);
    throw err;
  }
  try {
    await engine.api.executeChangeSet(ref);
  } catch (err) {
    throw await executeFailure(engine, ref, type, err);
  }
  const { final, events } = await followStack(engine, ref.stackId, seen);
  const status = final?.StackStatus ?? "DELETE_COMPLETE";
  if (final && isSuccessStatus(status)) return final;
  throw operationFailure(engine, type, status, events);
}

/**
 * The service refused or broke while executing (moto answers a failing resource with a bare 500).
 * A change set that never started (still AVAILABLE) is taken back, with a new stack's empty
 * REVIEW_IN_PROGRESS shell, so nothing half-done is left; one that started is left to
 * CloudFormation, and the message says which.
 */
async function executeFailure(
  engine: Engine,
  ref: ChangeSetRef,
  type: ChangeSetType,
  err: unknown,
): Promise<Error> {
  const classified = classifyAwsError(err, engine.profile, `stack ${engine.stackName}`);
  if (isPrebakeError(classified)) return classified;
  const state = await engine.api.changeSetState(ref).catch(() => undefined);
  const neverRan = state?.executionStatus === "AVAILABLE";
  let outcome = "nothing ran; the change set was deleted";
  if (neverRan) await discardChangeSet(engine, ref, type);
  else {
    const now = await engine.api.describeStack(ref.stackId).catch(() => undefined);
    outcome = `stack status ${now?.StackStatus ?? "unknown"}`;
  }
  return new DeployFailedError(
    `executing the change set failed: ${awsErrorName(err)}: ${firstLine(err)}; ${outcome}`,
    {
      where: `stack ${engine.stackName}`,
      fix: `see \`aws cloudformation describe-stack-events --stack-name ${engine.stackName}\`; fix the cause and deploy again`,
      cause: err,
    },
  );
}

function operationFailure(engine: Engine, type: ChangeSetType, status: string, events: StackEvent[]): Error {
  const root = findRootCause(events);
  const cause = root
    ? `${root.LogicalResourceId} (${root.ResourceType}) ${root.ResourceStatus}: ${root.ResourceStatusReason ?? "no reason given"}`
    : "no failed resource event found";
  engine.out.error(`root cause: ${cause}`);
  engine.out.error(`final status: ${status}`);
  const verb = type === "CREATE" ? "create" : "update";
  return new DeployFailedError(`${verb} failed: ${cause}; final status ${status}`, {
    where: `stack ${engine.stackName}`,
    fix:
      status === "ROLLBACK_COMPLETE"
        ? "fix the cause; the next deploy deletes the rolled-back stack and creates it again"
        : "fix the cause and deploy again",
  });
}
