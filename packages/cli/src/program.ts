import {
  type CommandRegistrar,
  type Context,
  createContext,
  ExitCode,
  isPrebakeError,
  type LoadConfigOptions,
  type OutputOptions,
  processMasker,
} from "@prebake/core";
import { Command, CommanderError } from "commander";

export interface GlobalOptions {
  profile?: string;
  env?: string;
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** Makes the context a command runs with (config, output, clients) from the global options. */
export type ContextFactory = (options: LoadConfigOptions & OutputOptions) => Context;

export function buildProgram(
  registrars: CommandRegistrar[],
  makeContext: ContextFactory = createContext,
): Command {
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
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 bad configuration/input, 4 validation failed,\n" +
        "5 service unavailable, 6 credentials, 7 deploy failed, 8 build failed, 9 refused by a safety check,\n" +
        "10 a rebuild is due (images outdated),\n" +
        "129/130/143 stopped by SIGHUP/SIGINT/SIGTERM (after cleaning up). See README.md.",
    );

  let context: Context | undefined;
  const getContext = () => {
    // `env` is --env here but the process environment in LoadConfigOptions.
    const { env: environment, config: configFile, ...opts } = program.opts<GlobalOptions>();
    context ??= makeContext({ ...opts, configFile, environment });
    return context;
  };
  for (const register of registrars) register(program, getContext);
  program.exitOverride();
  return program;
}

/** The name of an exit code, as the help text says it ("deploy failed" for 7). */
export function exitCodeName(code: number): string {
  const name = Object.entries(ExitCode).find(([, value]) => value === code)?.[0] ?? "unknown";
  return name.toLowerCase().replaceAll("_", " ");
}

/** Run the CLI: expected errors become one line and their exit code; nothing else prints a stack trace unless --verbose. */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    await program.parseAsync(argv);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes were already printed.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (isPrebakeError(err)) {
      // Error lines can quote a build's output or a URL: masked like every other line.
      process.stderr.write(`prebake: error: ${processMasker.mask(err.toLine())}\n`);
      if (verbose && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
      return err.exitCode;
    }
    process.stderr.write(
      `prebake: internal error: ${processMasker.mask(String((err as Error).message ?? err))}\n`,
    );
    if (verbose) process.stderr.write(`${(err as Error).stack}\n`);
    else
      process.stderr.write("prebake: run again with --verbose for the stack trace, and report it as a bug\n");
    return ExitCode.INTERNAL;
  }
}
