// The layer commands alone: the entry of the bundle the python-layer image carries
// (packages/cli/bundle/bundle.ts --entry layer). Fewer packages in it than in the whole CLI, so
// fewer prebake changes rebuild that image.
import { exitOnSignals } from "@prebake/core/cleanup";
import { registerLayerCommands } from "@prebake/layers/cli";
import { buildProgram, runCli } from "./program.ts";

exitOnSignals();
process.exitCode = await runCli(buildProgram([registerLayerCommands]), process.argv);
