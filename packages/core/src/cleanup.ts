import { describeMs, withDeadline } from "./deadline.ts";
import { ExitCode } from "./errors.ts";

/**
 * Work to undo when the command is stopped: a container to remove, a build to cancel. Whoever
 * starts such work registers its undo BEFORE starting it (so a signal at any moment finds it) and
 * forgets it once the work is cleaned up normally. On SIGINT, SIGTERM or SIGHUP the CLI runs every
 * registered cleanup, then exits: process.exit skips `finally` blocks, so they are not enough.
 */
export type Cleanup = () => Promise<unknown> | unknown;

const cleanups = new Set<Cleanup>();

/** Register a cleanup; call the returned function once the work is undone and nothing is left. */
export function registerCleanup(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** How many cleanups are registered (tests check that finished work forgets its own). */
export function pendingCleanups(): number {
  return cleanups.size;
}

/**
 * Run every registered cleanup at once. A cleanup that hangs (an engine that stopped answering)
 * is abandoned after `deadlineMs` so the process still exits; returns what did not finish.
 */
export async function runCleanups(deadlineMs = 30_000): Promise<string[]> {
  const pending = [...cleanups];
  cleanups.clear();
  const results = await Promise.allSettled(
    pending.map((c) =>
      withDeadline(
        Promise.resolve().then(c),
        deadlineMs,
        () => new Error(`a cleanup did not finish within ${describeMs(deadlineMs)}`),
      ),
    ),
  );
  return results.flatMap((r) =>
    r.status === "rejected" ? [String((r.reason as Error).message ?? r.reason)] : [],
  );
}

/** The exit status of a process ended by a signal, as shells report it: 128 + the signal number. */
export const SIGNAL_EXIT_CODES = {
  SIGHUP: ExitCode.HANGUP,
  SIGINT: ExitCode.INTERRUPTED,
  SIGTERM: ExitCode.TERMINATED,
} as const;
export type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * SIGINT (Ctrl-C), SIGTERM (Nx, CI runners, timeouts) and SIGHUP (a closed terminal) all do the
 * same: run the cleanups, then exit 130 / 143 / 129. A second signal exits at once. Returns the
 * function that removes the handlers again.
 */
export function exitOnSignals(
  report: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  exit: (code: number) => void = process.exit,
): () => void {
  let stopping = false;
  const handlers = Object.entries(SIGNAL_EXIT_CODES).map(([signal, code]) => {
    const handler = () => {
      if (stopping) return exit(code);
      stopping = true;
      report(`\nprebake: ${signal === "SIGINT" ? "interrupted" : `${signal} received`}, cleaning up`);
      void runCleanups().then((left) => {
        for (const what of left) report(`prebake: ${what}; something may be left behind`);
        exit(code);
      });
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
