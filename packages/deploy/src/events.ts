/**
 * Stack events: printed as they happen, one plain line each (readable in a CI log), and read
 * afterwards for the root cause of a failure.
 */
export interface StackEventLike {
  EventId?: string | undefined;
  Timestamp?: Date | undefined;
  LogicalResourceId?: string | undefined;
  ResourceType?: string | undefined;
  ResourceStatus?: string | undefined;
  ResourceStatusReason?: string | undefined;
}

/** "06:53:32  Bucket  AWS::S3::Bucket  CREATE_FAILED  <reason>" (UTC time). */
export function formatEvent(event: StackEventLike): string {
  const time = event.Timestamp ? event.Timestamp.toISOString().slice(11, 19) : "--:--:--";
  const reason = event.ResourceStatusReason ? `  ${event.ResourceStatusReason.replace(/\s+/g, " ")}` : "";
  return `${time}  ${event.LogicalResourceId ?? "?"}  ${event.ResourceType ?? "?"}  ${event.ResourceStatus ?? "?"}${reason}`;
}

/** Reasons CloudFormation gives resources it stopped because another one failed: never a root cause. */
const KNOCK_ON = /^(Resource creation cancelled|Resource update cancelled|Resource creation Initiated)$/i;

/**
 * The root cause of a failed operation: the first (oldest) resource event that failed, skipping
 * resources cancelled because of it. `events` are oldest first and belong to this operation.
 */
export function findRootCause(events: StackEventLike[]): StackEventLike | undefined {
  const failed = events.filter((e) => e.ResourceStatus?.endsWith("_FAILED"));
  return (
    failed.find((e) => !KNOCK_ON.test(e.ResourceStatusReason ?? "")) ??
    failed[0] ??
    // No resource failed (e.g. a stack-level validation): the first event with a reason that rolled back.
    events.find((e) => e.ResourceStatus?.includes("ROLLBACK_IN_PROGRESS") && e.ResourceStatusReason)
  );
}

/**
 * Which of a newest-first page of events are new since `seen`, returned oldest first.
 * Stops at the first event already seen (pages are newest first).
 */
export function newEvents<T extends StackEventLike>(page: T[], seen: Set<string>): T[] {
  const fresh: T[] = [];
  for (const event of page) {
    const id = event.EventId ?? "";
    if (seen.has(id)) break;
    fresh.push(event);
  }
  return fresh.reverse();
}
