import type { CommandRegistrar, Context, LoadConfigOptions, OutputOptions } from "@prebake/core";
import { ExitCode } from "@prebake/core/errors";
import { Argument, Command, CommanderError, Help, Option } from "commander";
import packageJson from "../package.json" with { type: "json" };
import { completionScript, SHELLS, type Shell } from "./completion.ts";
import { reportFailure } from "./failure.ts";
import { helpWidth, tidyHelp, wrapHelpText } from "./help.ts";
import { commandNamedBy, usageError } from "./usage.ts";

/** prebake's version: the CLI package's. */
export const VERSION: string = packageJson.version;
/**
 * -V/--version is prebake's alone, not its commands' (`push --version 1.0` is push's): runCli
 * answers it before parsing when no command is named, and help lists it. It is no commander option,
 * which would take `--version` from every command line.
 */
const VERSION_OPTION = new Option("-V, --version", "print prebake's version (with --json: as JSON)");

function asksVersion(program: Command, args: string[]): boolean {
  return args.some((a) => a === "--version" || a === "-V") && commandNamedBy(program, args) === program;
}

export interface GlobalOptions {
  profile?: string;
  env?: string;
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** Makes the context a command runs with (config, output, clients) from the global options. */
export type ContextFactory = (options: LoadConfigOptions & OutputOptions) => Context;

/**
 * The program over the registrars' commands. Without `makeContext`, core's createContext is loaded
 * just before a command's action runs (the configuration schema, the clients): `--help`, `--version`
 * and a usage error never load it.
 */
export function buildProgram(registrars: CommandRegistrar[], makeContext?: ContextFactory): Command {
  const program = new Command("prebake")
    .description(
      "Bake build toolchains into container images, render and deploy the CodeBuild stacks that use them,\n" +
        "run buildspecs locally or in CodeBuild, and build Lambda layers that import on Lambda's Linux.",
    )
    .option(
      "--profile <name>",
      "configuration profile: local (default; Docker + registry + moto on loopback) or aws",
    )
    .option(
      "--env <name>",
      "environment (environments: in prebake.config.yaml; also PREBAKE_ENV): stacks <project>-<env>-<stack>; " +
        "without it, the profile's default environment (stacks <project>-<stack>)",
    )
    .option("--config <file>", "configuration file (default: prebake.config.yaml at the repository root)")
    .option("--json", "print a machine-readable JSON result on stdout (human output goes to stderr)")
    .option("-v, --verbose", "print details: every AWS call, every build line")
    .option("-q, --quiet", "print only warnings, errors and results")
    .option("--color", "colour the output, also when it is not a terminal (over NO_COLOR and FORCE_COLOR)")
    .option("--no-color", "no colour, also in a terminal (over FORCE_COLOR)")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake --help\n  prebake deploy ci --dry-run\n  prebake --json status\n" +
        "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 bad configuration/input,\n" +
        "4 validation failed, 5 service unavailable, 6 credentials, 7 deploy failed,\n" +
        "8 build failed, 9 refused by a safety check, 10 a rebuild is due (images\n" +
        "outdated), 11 changes pending (deploy --dry-run --fail), 129/130/143 stopped\n" +
        "by SIGHUP/SIGINT/SIGTERM (after cleaning up). See README.md, Exit codes.",
    );

  program.configureHelp({
    visibleOptions(cmd) {
      const options = Help.prototype.visibleOptions.call(this, cmd);
      return cmd === program ? [...options.slice(0, -1), VERSION_OPTION, ...options.slice(-1)] : options;
    },
  });
  // Before the commands are registered, so that each inherits them: commander's errors are thrown
  // (runCli prints them as prebake's one line), never printed by commander or exited on.
  program.exitOverride().configureOutput({
    outputError: () => {},
    writeOut: (text) => process.stdout.write(wrapHelpText(text, helpWidth(process.stdout))),
    writeErr: (text) => process.stderr.write(wrapHelpText(text, helpWidth(process.stderr))),
    getOutHelpWidth: () => helpWidth(process.stdout),
    getErrHelpWidth: () => helpWidth(process.stderr),
  });

  let factory = makeContext;
  program.hook("preAction", async () => {
    factory ??= (await import("@prebake/core")).createContext;
  });
  let context: Context | undefined;
  const getContext = () => {
    if (!factory) throw new Error("a command asked for its context before its action ran");
    // `env` is --env here but the process environment in LoadConfigOptions.
    const { env: environment, config: configFile, ...opts } = program.opts<GlobalOptions>();
    // runCli prints the result, so that a failure after it still prints one JSON document.
    context ??= factory({ ...opts, configFile, environment, holdResult: true });
    return context;
  };
  contexts.set(program, () => context);
  for (const register of registrars) register(program, getContext);
  registerCompletion(program);
  tidyHelp(program);
  return program;
}

/** `prebake completion bash|zsh`: the script, from the commands this program has. */
function registerCompletion(program: Command): void {
  program
    .command("completion")
    .summary("print a shell completion script (bash or zsh)")
    .description(
      "Print a completion script for bash or zsh, generated from prebake's commands and options, so new " +
        "commands complete too. Load it in the shell's startup file.",
    )
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText(
      "after",
      '\nExamples:\n  eval "$(prebake completion bash)"          # in ~/.bashrc\n' +
        '  prebake completion bash > /etc/bash_completion.d/prebake\n  eval "$(prebake completion zsh)"           # in ~/.zshrc',
    )
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}

/** Each program's context, once a command made it: runCli prints the result its Output holds. */
const contexts = new WeakMap<Command, () => Context | undefined>();

/** The name of an exit code, as the help text says it ("deploy failed" for 7). */
export function exitCodeName(code: number): string {
  const name = Object.entries(ExitCode).find(([, value]) => value === code)?.[0] ?? "unknown";
  return name.toLowerCase().replaceAll("_", " ");
}

/**
 * Run the CLI: expected errors become one line and their exit code (under --json also a JSON
 * error object on stdout); nothing else prints a stack trace unless --verbose.
 */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const json = argv.includes("--json");
  const held = () => contexts.get(program)?.()?.out.takeHeldResult();
  if (asksVersion(program, argv.slice(2))) {
    process.stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `${VERSION}\n`);
    return ExitCode.OK;
  }
  try {
    await program.parseAsync(argv);
    const result = held();
    if (result) process.stdout.write(`${JSON.stringify(result.value, null, 2)}\n`);
    return ExitCode.OK;
  } catch (err) {
    // Help is an "error" to commander that exits 0.
    if (err instanceof CommanderError && err.exitCode === 0) return ExitCode.OK;
    const failure = err instanceof CommanderError ? usageError(err, program, argv.slice(2)) : err;
    return reportFailure(failure, { json, verbose, held: held() });
  }
}
