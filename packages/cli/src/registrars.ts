import type { CommandRegistrar } from "@prebake/core";

/** Every package's commands, in the order `prebake --help` lists them. */
export const registrars: CommandRegistrar[] = [];
