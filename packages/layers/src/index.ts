export { registerLayerCommands } from "./cli.ts";
export { layerDefinitionJsonSchema, loadLayerDefinition, mbToBytes } from "./definition.ts";
export { type LayerRelease, type LayerResult, layerRunResult } from "./release.ts";
export { type LayerStatus, layerStatus } from "./status.ts";
