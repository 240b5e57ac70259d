import type { CommandRegistrar } from "./program.ts";

/** Every package's commands, in the order `prebake --help` lists them. */
export const registrars: CommandRegistrar[] = [];
