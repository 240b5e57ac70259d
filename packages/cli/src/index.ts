export { type CommandLineRunner, createCommandLineRunner } from "./in-process.ts";
export { buildProgram, type ContextFactory, exitCodeName, type GlobalOptions, runCli } from "./program.ts";
export { type CommandPackage, commandOf, commandPackages, registrarsFor } from "./registrars.ts";
export { readSummary, type SummaryRow, toSummaryRows } from "./summary.ts";
