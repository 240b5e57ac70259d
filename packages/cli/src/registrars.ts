import type { CommandRegistrar } from "@prebake/core";

/** A package's commands: their names, and how to load the package's registrar. */
export interface CommandPackage {
  commands: string[];
  load: () => Promise<CommandRegistrar>;
}

/** Every package's commands, in the order `prebake --help` lists them. */
export const commandPackages: CommandPackage[] = [
  {
    commands: ["render", "lint"],
    load: async () => (await import("@prebake/stack/cli")).registerStackCommands,
  },
  {
    commands: ["build-image", "push", "images"],
    load: async () => (await import("@prebake/images/cli")).registerImageCommands,
  },
  { commands: ["layer"], load: async () => (await import("@prebake/layers/cli")).registerLayerCommands },
  {
    commands: ["deploy", "promote", "status", "destroy"],
    load: async () => (await import("@prebake/deploy/cli")).registerDeployCommands,
  },
  {
    commands: ["codebuild", "buildspec"],
    load: async () => (await import("@prebake/codebuild/cli")).registerCodeBuildCommands,
  },
  {
    commands: ["pipeline"],
    load: async () => (await import("@prebake/pipeline/cli")).registerPipelineCommands,
  },
  { commands: ["summary"], load: async () => (await import("./summary-cli.ts")).registerSummaryCommand },
  {
    commands: ["report", "history"],
    load: async () => (await import("@prebake/report/cli")).registerReportCommands,
  },
];

/** Global options that take a value: that value is not the command. */
const VALUE_OPTIONS = new Set(["--profile", "--env", "--config"]);

/** The command an argument list (without `node prebake`) runs: its first word that is not an option. */
export function commandOf(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * The registrars a command line needs. A registrar (each package's `cli.ts`, exported as
 * `@prebake/<package>/cli`) only declares commands and options: what a command's work needs (AWS
 * SDK clients, the Docker client, schemas, pip...) it imports when that command's action runs. So
 * loading registrars is cheap, and only the running command's is loaded; no command, `--help` or an
 * unknown command load them all, so the help and the "unknown command" error list every command.
 */
export async function registrarsFor(args: string[]): Promise<CommandRegistrar[]> {
  const command = commandOf(args);
  const owner = commandPackages.find((p) => command !== undefined && p.commands.includes(command));
  return Promise.all((owner ? [owner] : commandPackages).map((p) => p.load()));
}
