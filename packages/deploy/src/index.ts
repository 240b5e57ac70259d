// The public API of @prebake/deploy: the `prebake deploy` command and the engine behind it.
export { countCalls, isReadOnlyCall } from "./api-calls.ts";
export { cloudFormationApi, type StackApi } from "./cfn-api.ts";
export { registerDeployCommands } from "./cli.ts";
export { type DeployAction, type DeployOptions, type DeployResult, deployStack } from "./deploy.ts";
export { type DestroyResult, destroy } from "./destroy.ts";
export {
  type EnvironmentStatus,
  environmentStatus,
  type ImageStatus,
  type StackStatus,
} from "./environment-status.ts";
export { orderStacks, stackAfter } from "./order.ts";
export { type ImageOrigin, imageOrigins } from "./origins.ts";
export { type StackOutputsFile, stackOutputsFile } from "./outputs.ts";
export { type PromotionResult, promote } from "./promote.ts";
