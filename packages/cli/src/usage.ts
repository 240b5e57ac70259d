import { ExitCode, PrebakeError } from "@prebake/core/errors";
import type { Command, CommanderError } from "commander";

/**
 * Commander's usage mistakes (unknown command or option, a missing argument, a command group
 * without its subcommand) as prebake's one-line error with exit 2: where is the command line as
 * far as it named commands (`prebake codebuild run`), the fix says what to run instead.
 */

/** The deepest command the arguments (without `node prebake`) name, skipping options and their values. */
export function commandNamedBy(program: Command, args: string[]): Command {
  let command = program;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      // An option that takes a value (`--profile aws`, `-b file`) swallows the next argument.
      const option = [command, ...ancestors(command)]
        .flatMap((c) => c.options)
        .find((o) => o.long === arg || o.short === arg);
      if (option && (option.required || option.optional) && !arg.includes("=")) i++;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    command = sub;
  }
  return command;
}

function ancestors(command: Command): Command[] {
  const out: Command[] = [];
  for (let c = command.parent; c; c = c.parent) out.push(c);
  return out;
}

/** `prebake codebuild run`: the command's words, as a user types them. */
export function commandPath(command: Command): string {
  return [...ancestors(command).reverse(), command].map((c) => c.name()).join(" ");
}

export function usageError(err: CommanderError, program: Command, args: string[]): PrebakeError {
  const command = commandNamedBy(program, args);
  const path = commandPath(command);
  const help = `\`${path} --help\``;
  if (err.code === "commander.help" || err.code === "commander.helpDisplayed") {
    // A command group run without its subcommand: commander has printed its help on stderr.
    const subcommands = command.commands.map((c) => c.name()).filter((n) => n !== "help");
    return new PrebakeError(ExitCode.USAGE, "a subcommand is needed", {
      where: path,
      fix: `run one of: ${subcommands.map((n) => `${path} ${n}`).join(", ")}`,
    });
  }
  // "error: unknown command 'x'\n(Did you mean deploy?)": the suggestion becomes the fix.
  const [first = "", ...rest] = err.message.replace(/^error:\s*/, "").split("\n");
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(" "))?.[1];
  const what = first.trim().replace(/\.$/, "");
  const fix = suggestion
    ? `did you mean ${suggestion}? (${help} lists what it takes)`
    : `run ${help} for its ${err.code === "commander.unknownCommand" ? "commands" : "usage"}`;
  return new PrebakeError(ExitCode.USAGE, what, { where: path, fix });
}
