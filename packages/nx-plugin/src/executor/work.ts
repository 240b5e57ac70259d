/**
 * What kind of work a task's command is, read from the command line its target gives it (targets.ts
 * builds them): the batch gives each kind its own limit, and runs the lint tasks as one group.
 */

/** Global options that take a value (`--env dev deploy ci`). */
const VALUED = new Set(["--env", "--profile", "--config"]);

export interface Work {
  /** "deploys" for a stack deploy, "builds" for everything else (Limits' pools). */
  kind: "deploys" | "builds";
  /** For a plain `lint <stack...>`: the stacks, whose templates the group lints together. */
  lints?: string[];
}

export function workOf(args: string[]): Work {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) i += VALUED.has(args[i]!) ? 2 : 1;
  const [command, ...rest] = args.slice(i);
  if (command === "deploy") return { kind: "deploys" };
  // A lint with options of its own (added on the command line) runs alone, as asked.
  if (command === "lint" && i === 0 && rest.length > 0 && rest.every((a) => !a.startsWith("-"))) {
    return { kind: "builds", lints: rest };
  }
  return { kind: "builds" };
}
