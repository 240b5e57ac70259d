export { assertEnvironmentAccount, callerAccount } from "./account.ts";
export { type AwsCallRecord, awsCallLog, createAwsClient, requestTimeoutFor } from "./aws.ts";
export { awsErrorName, classifyAwsError, isAwsError, isNotFound } from "./aws-errors.ts";
export { exitOnSignals, pendingCleanups, registerCleanup, runCleanups } from "./cleanup.ts";
export type { CommandRegistrar } from "./command.ts";
export {
  type Concurrency,
  cloudFormationStackName,
  configJsonSchema,
  DEFAULT_DEPLOY_CONCURRENCY,
  DEFAULT_TIMEOUTS,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
  projectStackNames,
  type ReportTargets,
  type ResolvedProfile,
  stackNameIn,
} from "./config.ts";
export {
  type ContainerExit,
  ContainerHandle,
  type ExecResult,
  LongLivedContainer,
  type PathStat,
  RunToCompletionContainer,
} from "./container-handles.ts";
export {
  CONTAINER_PID_LABEL,
  ContainerRuntime,
  type ContainerSpec,
  containerRuntime,
} from "./containers.ts";
export { type Context, ContextPool, createContext } from "./context.ts";
export { describeMs, withDeadline } from "./deadline.ts";
export { didYouMean, unknownKeyFix } from "./did-you-mean.ts";
export {
  assertDockerAvailable,
  createDockerClient,
  type DockerStreamEvent,
  followDockerStream,
} from "./docker.ts";
export {
  DEFAULT_ENVIRONMENT,
  type EnvironmentConfig,
  environmentSegment,
  isLoopbackEndpoint,
  type ResolvedEnvironment,
  type StackSettings,
} from "./environments.ts";
export {
  AuthError,
  BuildFailedError,
  ChangesPendingError,
  ConfigError,
  configErrorOf,
  DeployFailedError,
  type ErrorJson,
  ExitCode,
  errorJson,
  firstLine,
  isPrebakeError,
  PrebakeError,
  type Problem,
  problemLine,
  RebuildDueError,
  RefusedError,
  UnavailableError,
  ValidationError,
} from "./errors.ts";
export { FileDigests } from "./file-digests.ts";
export {
  assertLinksStayIn,
  linkProblem,
  listTree,
  readTreeFile,
  type TreeFile,
  unsafeLinkError,
} from "./file-tree.ts";
export { formatBytes, formatDuration, formatTable } from "./format.ts";
export { type GitInfo, gitRevision, hasUncommittedChanges, headCommit, readGitInfo } from "./git.ts";
export {
  appendHistoryLine,
  HISTORY_KINDS,
  HISTORY_SCHEMA,
  type HistoryKind,
  type HistoryLine,
  type HistoryPhase,
  type HistoryProblem,
  type HistoryRead,
  historyDir,
  historyFile,
  historyLineSchema,
  readHistory,
} from "./history.ts";
export { historyLinesOf, historyLinesOfRun, type RunContext } from "./history-lines.ts";
export { type EditorSchemaMeta, editorJsonSchema, SCHEMAS_DIR } from "./json-schema.ts";
export { LineSplitter } from "./lines.ts";
export { acquireLock, folderLock, holderAlive, type LockHolder, type ReleaseLock, withLock } from "./lock.ts";
export { MASK, processMasker, SecretMasker, stripUrlCredentials } from "./mask.ts";
export { appResourceId, NAME_RULES, type NameRule, nameProblem, pascalCase } from "./names.ts";
export { collect, type IntegerOption, parseIntegerOption, parseKeyValueOptions } from "./options.ts";
export { Output, type OutputOptions, useColor } from "./output.ts";
export {
  APP_DEFAULTS,
  APP_MARKERS,
  appPaths,
  checkStackName,
  distPaths,
  imagePaths,
  layerPaths,
  listApps,
  listLayers,
  listStacks,
  PROJECT_FOLDERS,
  type ProjectKind,
  resolveStackNames,
  stackPaths,
  statePaths,
  takenProjectFolder,
  writeFileAtomic,
  writeJsonAtomic,
} from "./paths.ts";
export {
  type CodeBuildLocalRun,
  type CodeBuildRemoteRun,
  type DeployRun,
  type ImageRun,
  type LayerRun,
  type LayerRunItem,
  type PipelineRun,
  type PromoteRun,
  RUN_KINDS,
  type RunKind,
  type RunResult,
  runResultsOf,
} from "./run-result.ts";
export {
  type S3Object,
  type S3Upload,
  type S3UploadOptions,
  s3ObjectUrl,
  uploadBucket,
  uploadToS3,
} from "./s3-upload.ts";
export { parseValidatedYaml } from "./validated-yaml.ts";
