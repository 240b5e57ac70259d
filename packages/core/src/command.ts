import type { Command } from "commander";
import type { Context } from "./context.ts";

/**
 * How a package contributes CLI commands: it registers them on the shared program and asks
 * for the context only when a command runs (so `--help` needs no config, engine or AWS).
 */
export type CommandRegistrar = (program: Command, getContext: () => Context) => void;
