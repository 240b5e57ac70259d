export { registerLayerCommands } from "./cli.ts";
export { loadLayerDefinition, mbToBytes } from "./definition.ts";
export { type LayerStatus, layerStatus } from "./status.ts";
