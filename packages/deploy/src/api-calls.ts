import type { AwsCallRecord } from "@prebake/core";

/** Count recorded AWS calls by command, for --verbose and the JSON result. */
export function countCalls(calls: AwsCallRecord[]): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  for (const c of calls) {
    const name = c.command.replace(/Command$/, "");
    byCommand[name] = (byCommand[name] ?? 0) + 1;
  }
  return { total: calls.length, byCommand };
}

/** Calls that change nothing: a no-op deploy must make only these. */
export const isReadOnlyCall = (command: string) =>
  /^(Describe|Get|List)/.test(command.replace(/Command$/, ""));
