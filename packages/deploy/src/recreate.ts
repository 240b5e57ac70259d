/**
 * Deleting a stack and waiting for it: to recreate a stack whose first create failed
 * (ROLLBACK_COMPLETE) or never ran (REVIEW_IN_PROGRESS), and to remove the empty stack a
 * discarded CREATE change set leaves.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { DeployFailedError } from "@prebake/core";
import { awsStep, type Engine } from "./engine.ts";
import { findRootCause } from "./events.ts";
import { followStack, seenEvents } from "./follow.ts";
import { classifyStackStatus } from "./status.ts";

export async function deleteStackAndWait(engine: Engine, stackId: string, options: { quiet?: boolean } = {}) {
  const seen = await seenEvents(engine, stackId);
  await awsStep(engine, "DeleteStack", () => engine.api.deleteStack(stackId));
  const { final, events } = await followStack(engine, stackId, seen, options);
  if (final && final.StackStatus !== "DELETE_COMPLETE") {
    const d = classifyStackStatus(final.StackStatus, engine.stackName);
    const root = findRootCause(events);
    const cause = root
      ? `: ${root.LogicalResourceId} (${root.ResourceType}) ${root.ResourceStatusReason ?? "no reason given"}`
      : "";
    throw new DeployFailedError(`deleting the stack ended in ${final.StackStatus}${cause}`, {
      where: `stack ${engine.stackName}`,
      fix: d.kind === "stuck" ? d.instruction : "see the stack events",
    });
  }
}

/** Delete a stack that holds nothing worth keeping, so that the deploy can create it again. */
export async function recreate(engine: Engine, stack: Stack, why: string): Promise<void> {
  engine.out.info(`stack ${engine.stackName}: ${why}; deleting it and creating it again`);
  await deleteStackAndWait(engine, stack.StackId ?? engine.stackName);
}
