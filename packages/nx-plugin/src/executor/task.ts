import type { PrebakeExecutorOptions } from "../targets.ts";

/**
 * A target's options as Nx hands them to the executor: `argv` from the target, and what the user
 * added on the command line (`nx run ci:deploy -- --dry-run`), parsed by Nx into options
 * (`"dry-run": true`) and positional arguments (`_`).
 */
export type TaskOptions = PrebakeExecutorOptions & { _?: unknown[] } & Record<string, unknown>;

function flags(key: string, value: unknown): string[] {
  if (value === true) return [`--${key}`];
  if (value === false) return [`--no-${key}`];
  if (Array.isArray(value)) return value.flatMap((item) => flags(key, item));
  return value === undefined || value === null ? [] : [`--${key}=${String(value)}`];
}

/** The prebake command line of a task: the target's arguments, then the user's, as flags again. */
export function commandLine(options: TaskOptions): string[] {
  const { argv, _: positional = [], ...added } = options;
  return [
    ...argv,
    ...positional.map(String),
    ...Object.entries(added).flatMap(([key, value]) => flags(key, value)),
  ];
}

/**
 * The line a failed task ends with: Nx keeps only success or failure, the exit code (and its name,
 * as `prebake --help` lists them) says which failure.
 */
export function exitLine(args: string[], code: number, name: string): string {
  return `prebake ${args.join(" ")}: exit code ${code} (${name})\n`;
}
