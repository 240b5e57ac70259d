/** Following a stack operation: print its events as they come, until the stack settles. */
import type { Stack, StackEvent } from "@aws-sdk/client-cloudformation";
import { awsStep, type Engine, waitOptions } from "./engine.ts";
import { formatEvent } from "./events.ts";
import { pollUntil } from "./poll.ts";
import { isTerminalStatus } from "./status.ts";

export interface Followed {
  /** The settled stack; undefined when it is gone (a finished delete). */
  final: Stack | undefined;
  /** This operation's events, oldest first (for the root cause of a failure). */
  events: StackEvent[];
}

/**
 * Print new events (oldest first) until the stack reaches a terminal status, or the wait's
 * deadline passes. `seen` holds the events from before the operation.
 */
export async function followStack(
  engine: Engine,
  stackId: string,
  seen: Set<string>,
  options: { quiet?: boolean } = {},
): Promise<Followed> {
  const events: StackEvent[] = [];
  let lastStatus = "in progress";
  const settled = await pollUntil(
    async () => {
      // Status first, then events: when the status is terminal, the events read after it are complete.
      const current = await awsStep(engine, "waiting for the stack", () => engine.api.describeStack(stackId));
      const page = await awsStep(engine, "waiting for the stack", () =>
        engine.api.newStackEvents(stackId, seen),
      );
      for (const e of page) {
        seen.add(e.EventId ?? "");
        events.push(e);
        if (!options.quiet) engine.out.info(formatEvent(e));
      }
      if (!current) return { stack: undefined };
      lastStatus = current.StackStatus ?? lastStatus;
      return isTerminalStatus(current.StackStatus ?? "") ? { stack: current } : undefined;
    },
    waitOptions(engine, () => `stack ${engine.stackName} is still ${lastStatus}`),
  );
  return { final: settled.stack, events };
}

/** Mark the stack's existing events seen, so that only the next operation's are printed. */
export async function seenEvents(engine: Engine, stackId: string): Promise<Set<string>> {
  return new Set(await awsStep(engine, "DescribeStackEvents", () => engine.api.recentEventIds(stackId)));
}
