export { registerLayerCommands } from "./cli.ts";
export { loadLayerDefinition, mbToBytes } from "./definition.ts";
