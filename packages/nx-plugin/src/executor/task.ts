import { ExitCode } from "@prebake/core";
import type { PrebakeExecutorOptions } from "../targets.ts";

/** A target's options as Nx hands them over: arguments after `--` arrive unparsed. */
export interface TaskOptions extends PrebakeExecutorOptions {
  __overrides_unparsed__?: string[];
}

/** The prebake command line of a task: the target's arguments, then what the user added after `--`. */
export function commandLine(options: TaskOptions): string[] {
  return [...options.argv, ...(options.__overrides_unparsed__ ?? [])];
}

/** The line a failed task ends with: Nx keeps only success or failure, the exit code says which failure. */
export function exitLine(args: string[], code: number): string {
  const name = Object.entries(ExitCode).find(([, value]) => value === code)?.[0] ?? "UNKNOWN";
  return `prebake ${args.join(" ")}: exit code ${code} (${name.toLowerCase().replace("_", " ")})\n`;
}
