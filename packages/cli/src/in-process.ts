import { type Context, createContext, Output } from "@prebake/core";
import { buildProgram, type ContextFactory, runCli } from "./program.ts";
import { registrarsFor } from "./registrars.ts";

/** Runs one prebake command line (without `prebake`) and resolves with its exit code. */
export type CommandRunner = (args: string[]) => Promise<number>;

/**
 * Runs prebake commands inside one long-lived process (the Nx batch executor), each through the
 * same buildProgram/runCli as the `prebake` binary, so messages and exit codes are the command's.
 * What is costly to make and safe to share is made once per profile, environment and config file:
 * the loaded configuration and the AWS and Docker clients. Each command gets its own Output (its own
 * --json/--quiet/--verbose, and no progress state from another command).
 */
export function createCommandRunner(): CommandRunner {
  const shared = new Map<string, Context>();
  const contextFor: ContextFactory = (options) => {
    const key = JSON.stringify([
      options.profile ?? null,
      options.environment ?? null,
      options.configFile ?? null,
    ]);
    let base = shared.get(key);
    if (!base) {
      // A configuration error is thrown here each time, so every command reports it as it would alone.
      base = createContext(options);
      shared.set(key, base);
    }
    return { ...base, out: new Output(options) };
  };
  return async (args) =>
    runCli(buildProgram(await registrarsFor(args), contextFor), ["node", "prebake", ...args]);
}
