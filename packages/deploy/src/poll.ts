import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waiting on CloudFormation: short first polls (most emulator and many AWS operations finish
 * within a second), doubling up to a ceiling, never the AWS CLI's fixed 30 s. Every wait has a
 * deadline, so a stack that never settles is an error, not a hang.
 */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5000 };

export interface PollOptions {
  backoff: Backoff;
  /** How long to wait in all before giving up. */
  timeoutMs: number;
  /** The error to throw when the deadline has passed (it names what did not finish). */
  onTimeout: (waitedMs: number) => Error;
}

/** The delay before poll number `attempt` (0 = the first poll after the initial check). */
export function pollDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.initialMs * 2 ** Math.min(attempt, 30), backoff.maxMs);
}

/**
 * Call `check` until it returns a value: once at once, then after growing delays, until the
 * deadline. `check` returns undefined to keep waiting.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const result = await check();
    if (result !== undefined) return result;
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) throw options.onTimeout(waited);
    await sleep(Math.min(pollDelay(attempt, options.backoff), options.timeoutMs - waited));
  }
}
