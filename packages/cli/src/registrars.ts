import type { CommandRegistrar } from "@prebake/core";

/** A package's commands: their names, and how to load the package's registrar. */
export interface CommandPackage {
  commands: string[];
  load: () => Promise<CommandRegistrar>;
}

/** Every package's commands, in the order `prebake --help` lists them. */
export const commandPackages: CommandPackage[] = [
  { commands: ["render", "lint"], load: async () => (await import("@prebake/stack")).registerStackCommands },
  {
    commands: ["build-image", "push", "images"],
    load: async () => (await import("@prebake/images")).registerImageCommands,
  },
  { commands: ["layer"], load: async () => (await import("@prebake/layers")).registerLayerCommands },
  {
    commands: ["deploy", "promote", "status"],
    load: async () => (await import("@prebake/deploy")).registerDeployCommands,
  },
  {
    commands: ["codebuild", "buildspec"],
    load: async () => (await import("@prebake/codebuild")).registerCodeBuildCommands,
  },
  { commands: ["pipeline"], load: async () => (await import("@prebake/pipeline")).registerPipelineCommands },
  { commands: ["summary"], load: async () => (await import("./summary.ts")).registerSummaryCommand },
  {
    commands: ["report", "history"],
    load: async () => (await import("@prebake/report")).registerReportCommands,
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
 * The registrars a command line needs. Loading every package (AWS SDK clients, the Docker client,
 * the layer tooling...) is most of a short command's time, so only the package of the command
 * that runs is loaded; no command, `--help` or an unknown command load them all, so the help and
 * the "unknown command" error read exactly as before.
 */
export async function registrarsFor(args: string[]): Promise<CommandRegistrar[]> {
  const command = commandOf(args);
  const owner = commandPackages.find((p) => command !== undefined && p.commands.includes(command));
  return Promise.all((owner ? [owner] : commandPackages).map((p) => p.load()));
}
