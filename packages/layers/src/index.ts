export { registerLayerCommands } from "./cli.ts";
export { layerDefinitionJsonSchema, loadLayerDefinition, mbToBytes } from "./definition.ts";
export { type LayerStatus, layerStatus } from "./status.ts";
