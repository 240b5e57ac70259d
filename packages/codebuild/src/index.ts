export * from "./buildspec.ts";
export { type CacheFolder, cacheFolderOf, cacheFolders, cacheVolumeName } from "./cache.ts";
export * from "./cli.ts";
export * from "./driver.ts";
export * from "./environment.ts";
export { FileSelector, type Selection } from "./file-selector.ts";
export {
  COMPUTE_MODES,
  type Compute,
  type ComputeFinding,
  computeFindings,
  formatComputeFinding,
} from "./lambda-compute.ts";
export { localRunWarnings, refuseUnsupportedLocally } from "./local-support.ts";
export * from "./phases.ts";
export * from "./project.ts";
export * from "./rebuild.ts";
export * from "./remote.ts";
export {
  parseJUnit,
  type ReportSummary,
  summarise,
  summaryLine,
  type TestCase,
  type TestStatus,
} from "./reports.ts";
export * from "./runner.ts";
export {
  RUNTIMES_FILE,
  resolveRuntimeVersion,
  runtimeCommands,
  runtimeVersionWarnings,
  withRuntimeCommands,
} from "./runtimes.ts";
