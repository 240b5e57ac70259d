export { zipFolder } from "./artifacts.ts";
export { registerPipelineCommands } from "./cli.ts";
export { runLocalPipeline } from "./local.ts";
export { type PipelineAction, type PipelineModel, readPipeline, runOrderGroups } from "./model.ts";
export { loadPipeline, planPipeline } from "./plan.ts";
export { actionRows, runRemotePipeline, s3Source } from "./remote.ts";
export type { ActionRow, PipelineRunResult } from "./table.ts";
export { startedByUpload } from "./wait.ts";
