export * from "./aws.ts";
export * from "./cleanup.ts";
export * from "./command.ts";
export * from "./config.ts";
export {
  ContainerHandle,
  type ExecResult,
  LongLivedContainer,
  type PathStat,
  type RunResult,
  RunToCompletionContainer,
} from "./container-handles.ts";
export {
  CONTAINER_PID_LABEL,
  ContainerRuntime,
  type ContainerSpec,
  containerRuntime,
} from "./containers.ts";
export * from "./context.ts";
export { describeMs, withDeadline } from "./deadline.ts";
export * from "./docker.ts";
export * from "./errors.ts";
export {
  appendHistoryLine,
  gitRevision,
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
export { historyLinesOf, type RunContext } from "./history-lines.ts";
export * from "./key-value.ts";
export { LineSplitter } from "./lines.ts";
export { MASK, processMasker, SecretMasker, stripUrlCredentials } from "./mask.ts";
export * from "./output.ts";
export * from "./paths.ts";
export * from "./validated-yaml.ts";
