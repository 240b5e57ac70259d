import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waiting on CloudFormation: short first polls (most emulator and many AWS operations finish
 * within a second), doubling up to a ceiling, never the AWS CLI's fixed 30 s.
 */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5000 };

/** The delay before poll number `attempt` (0 = the first poll after the initial check). */
export function pollDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.initialMs * 2 ** Math.min(attempt, 30), backoff.maxMs);
}

/**
 * Call `check` until it returns a value: once at once, then after growing delays.
 * `check` returns undefined to keep waiting.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  backoff: Backoff = DEFAULT_BACKOFF,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const result = await check();
    if (result !== undefined) return result;
    await sleep(pollDelay(attempt, backoff));
  }
}
