import { exitOnSignals } from "@prebake/core/cleanup";
import { buildProgram, runCli } from "./program.ts";
import { registrarsFor } from "./registrars.ts";

// SIGINT, SIGTERM and SIGHUP: run the registered cleanups (containers, builds), then exit 130/143/129.
exitOnSignals();

const registrars = await registrarsFor(process.argv.slice(2));
process.exitCode = await runCli(buildProgram(registrars), process.argv);
