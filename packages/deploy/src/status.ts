/**
 * What a stack's status means for a deploy: go ahead (create or update), recreate (a failed
 * create left an empty ROLLBACK_COMPLETE stack), or stop with an instruction (a stuck or busy
 * stack: no retry loop, the user decides).
 */
export type StackDisposition =
  | { kind: "absent" }
  | { kind: "updatable" }
  | { kind: "recreate"; why: string }
  | { kind: "stuck"; why: string; instruction: string };

const UPDATABLE = new Set([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
]);

export function classifyStackStatus(status: string | undefined, stackName: string): StackDisposition {
  const aws = (args: string) => `aws cloudformation ${args} --stack-name ${stackName}`;
  if (!status || status === "DELETE_COMPLETE") return { kind: "absent" };
  if (UPDATABLE.has(status)) return { kind: "updatable" };
  if (status === "ROLLBACK_COMPLETE") {
    return { kind: "recreate", why: "its first create failed and was rolled back (ROLLBACK_COMPLETE)" };
  }
  if (status === "REVIEW_IN_PROGRESS") {
    // A create change set that was never executed: the stack holds no resources yet.
    return {
      kind: "recreate",
      why: "it was never created: a change set was left unexecuted (REVIEW_IN_PROGRESS)",
    };
  }
  if (status === "UPDATE_ROLLBACK_FAILED") {
    return {
      kind: "stuck",
      why: "its last update failed and so did the rollback (UPDATE_ROLLBACK_FAILED)",
      instruction: `fix the resource named in the stack events, then run \`${aws("continue-update-rollback")}\` (add --resources-to-skip <LogicalId> for resources that cannot roll back) and deploy again`,
    };
  }
  if (status === "DELETE_FAILED") {
    return {
      kind: "stuck",
      why: "a delete failed (DELETE_FAILED)",
      instruction: `see \`${aws("describe-stack-events")}\`, remove what blocks the delete, run \`${aws("delete-stack")}\` (or add --retain-resources <LogicalId>), then deploy again`,
    };
  }
  if (status === "ROLLBACK_FAILED" || status === "CREATE_FAILED") {
    return {
      kind: "stuck",
      why: `its create failed and could not be rolled back (${status})`,
      instruction: `see \`${aws("describe-stack-events")}\`, then run \`${aws("delete-stack")}\` and deploy again`,
    };
  }
  if (status === "UPDATE_FAILED") {
    return {
      kind: "stuck",
      why: "its last update failed with rollback disabled (UPDATE_FAILED)",
      instruction: `run \`${aws("rollback-stack")}\` (or fix the cause and update again), then deploy again`,
    };
  }
  if (status.endsWith("_IN_PROGRESS")) {
    return {
      kind: "stuck",
      why: `another operation is running on it (${status})`,
      instruction: `wait for it to finish (\`${aws("describe-stacks")} --query 'Stacks[0].StackStatus'\`), then deploy again`,
    };
  }
  return {
    kind: "stuck",
    why: `it is in state ${status}`,
    instruction: `see \`${aws("describe-stack-events")}\` and bring the stack to a *_COMPLETE state, then deploy again`,
  };
}

/** A stack status that ends an operation successfully. */
export const isSuccessStatus = (status: string) =>
  status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE";

/** A status that no longer changes on its own. */
export const isTerminalStatus = (status: string) => !status.endsWith("_IN_PROGRESS");
