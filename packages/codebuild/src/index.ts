export { type Buildspec, loadBuildspec, parseBuildspec } from "./buildspec.ts";
export { type CacheFolder, cacheFolderOf, cacheFolders, cacheVolumeName } from "./cache.ts";
export { registerCodeBuildCommands } from "./cli.ts";
export { buildShell, driverScript } from "./driver.ts";
export { parseEnvFile, parseSecretReference } from "./environment.ts";
export { FileSelector, type Selection } from "./file-selector.ts";
export {
  COMPUTE_MODES,
  type Compute,
  type ComputeFinding,
  computeFindings,
  formatComputeFinding,
} from "./lambda-compute.ts";
export { localRunWarnings, refuseUnsupportedLocally } from "./local-support.ts";
export { PhaseTracker, readMarker } from "./phases.ts";
export { zipFolder } from "./pipeline-artifacts.ts";
export { runLocalPipeline } from "./pipeline-local.ts";
export { type PipelineAction, type PipelineModel, readPipeline, runOrderGroups } from "./pipeline-model.ts";
export { loadPipeline, planPipeline } from "./pipeline-plan.ts";
export { actionRows, runRemotePipeline, s3Source } from "./pipeline-remote.ts";
export type { ActionRow, PipelineRunResult } from "./pipeline-table.ts";
export { startedByUpload } from "./pipeline-wait.ts";
export { deployedProjectName, projectSettings } from "./project.ts";
export { rebuildImagesInCodeBuild, rebuildTarget } from "./rebuild.ts";
export { isFinished, phasesOf, remoteFailure, runRemoteBuild } from "./remote.ts";
export {
  parseJUnit,
  type ReportSummary,
  summarise,
  summaryLine,
  type TestCase,
  type TestStatus,
} from "./reports.ts";
export { type LocalBuildOptions, type LocalBuildResult, runLocalBuild } from "./runner.ts";
export {
  RUNTIMES_FILE,
  resolveRuntimeVersion,
  runtimeCommands,
  runtimeVersionWarnings,
  withRuntimeCommands,
} from "./runtimes.ts";
export { uploadSourceArchive } from "./source-upload.ts";
