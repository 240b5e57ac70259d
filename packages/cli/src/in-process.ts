import { type Context, ContextPool, createContext } from "@prebake/core";
import { buildProgram, type ContextFactory, runCli } from "./program.ts";
import { registrarsFor } from "./registrars.ts";

/** Runs one prebake command line (without `prebake`) and resolves with its exit code. */
export type CommandLineRunner = (args: string[]) => Promise<number>;

/**
 * Runs prebake commands inside one long-lived process (the Nx batch executor), each through the
 * same buildProgram/runCli as the `prebake` binary, so messages and exit codes are the command's.
 * Each command's context is made by core's createContext, as the binary makes it (its own Output,
 * with the run history and the masker); what is costly to make and safe to share, the loaded
 * configuration and the AWS and Docker clients, comes from one pool for the whole batch.
 */
export function createCommandLineRunner(pool: ContextPool = new ContextPool()): CommandLineRunner {
  return async (args) => {
    // A command is done when its history lines are written (they wait for git's answer).
    const made: Context[] = [];
    const contextFor: ContextFactory = (options) => {
      const ctx = createContext(options, pool);
      made.push(ctx);
      return ctx;
    };
    const code = await runCli(buildProgram(await registrarsFor(args), contextFor), [
      "node",
      "prebake",
      ...args,
    ]);
    await Promise.all(made.map((ctx) => ctx.out.settled()));
    return code;
  };
}
