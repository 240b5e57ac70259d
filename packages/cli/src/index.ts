export { type CommandRunner, createCommandRunner } from "./in-process.ts";
export { buildProgram, type ContextFactory, type GlobalOptions, runCli } from "./program.ts";
export { registrars } from "./registrars.ts";
export { readSummary, type SummaryRow, toSummaryRows } from "./summary.ts";
