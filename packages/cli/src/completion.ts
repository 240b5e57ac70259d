import type { Command } from "commander";
import { allCommands } from "./help.ts";
import { commandPath } from "./usage.ts";

/**
 * Shell completion for prebake, generated from the command tree itself, so a new command or
 * option completes without touching this file. bash: `eval "$(prebake completion bash)"` (or the
 * output saved under bash-completion's completions folder); zsh loads the same function through
 * bashcompinit. Words complete by position: the commands named so far choose the subcommands and
 * options offered; option values (a stack, a file) are left to the shell's default.
 */
export const SHELLS = ["bash", "zsh"] as const;
export type Shell = (typeof SHELLS)[number];

/** The words after `prebake`, as the script matches them: "" for the program, " codebuild run". */
const key = (command: Command) => commandPath(command).replace(/^\S+/, "");

function wordsOf(command: Command): string[] {
  const subcommands = command.commands.map((c) => c.name()).filter((n) => n !== "help");
  const options = command.options.flatMap((o) => (o.long ? [o.long] : []));
  return [...subcommands, ...options, "--help"];
}

const quote = (text: string) => `"${text.replace(/["\\$`]/g, "\\$&")}"`;

export function bashCompletion(program: Command): string {
  const commands = allCommands(program);
  const name = program.name();
  const fn = `_${name.replace(/\W/g, "_")}_completion`;
  const paths = commands
    .filter((c) => c !== program)
    .map((c) => `    ${quote(key(c))}) path=${quote(key(c))} ;;`);
  const words = commands.map((c) => `    ${quote(key(c))}) words=${quote(wordsOf(c).join(" "))} ;;`);
  return [
    `# ${name} completion for bash, generated from ${name}'s commands: eval "$(${name} completion bash)"`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" path="" words="" w i',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    w="${COMP_WORDS[i]}"',
    '    case "$w" in -*) continue ;; esac',
    '    case "$path $w" in',
    ...paths,
    "    esac",
    "  done",
    '  case "$path" in',
    ...words,
    "  esac",
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    "}",
    `complete -o default -F ${fn} ${name}`,
    "",
  ].join("\n");
}

export function completionScript(program: Command, shell: Shell): string {
  if (shell === "bash") return bashCompletion(program);
  return [
    `# ${program.name()} completion for zsh: eval "$(${program.name()} completion zsh)" (loads the bash function through bashcompinit)`,
    "autoload -U +X bashcompinit && bashcompinit",
    bashCompletion(program),
  ].join("\n");
}
