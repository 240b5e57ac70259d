export {
  APP_DIR_VARIABLE,
  type AppDefinition,
  ARTIFACT_VARIABLE,
  appDefinitionJsonSchema,
  loadAppDefinition,
  loadAppDefinitions,
} from "./app-definition.ts";
export { type Buildspec, loadBuildspec, parseBuildspec } from "./buildspec.ts";
export { type CacheFolder, cacheFolderOf, cacheFolders, cacheVolumeName } from "./cache.ts";
export { registerCodeBuildCommands } from "./cli.ts";
export {
  COMPUTE_TYPES,
  type ComputeType,
  EC2_COMPUTE_TYPES,
  isLambdaCompute,
  LAMBDA_COMPUTE_TYPES,
} from "./compute-types.ts";
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
export {
  deployedProjectName,
  type ProjectSettings,
  projectSettings,
  resolveProjectImage,
} from "./project.ts";
export { rebuildImagesInCodeBuild, rebuildTarget } from "./rebuild.ts";
export {
  FollowDeadline,
  isFinished,
  phasesOf,
  type RemoteBuildResult,
  remoteFailure,
  runRemoteBuild,
  showFinishedBuild,
} from "./remote.ts";
export {
  parseJUnit,
  type ReportSummary,
  summarise,
  summaryLine,
  type TestCase,
  type TestStatus,
} from "./reports.ts";
export {
  DEFAULT_TIMEOUT_MINUTES,
  type LocalBuildOptions,
  type LocalBuildResult,
  runLocalBuild,
} from "./runner.ts";
export {
  RUNTIMES_FILE,
  resolveRuntimeVersion,
  runtimeCommands,
  runtimeVersionWarnings,
  withRuntimeCommands,
} from "./runtimes.ts";
export { writeSourceArchive } from "./source-archive.ts";
export { type UploadedSource, uploadSourceArchive } from "./source-upload.ts";
