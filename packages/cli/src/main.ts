import { exitOnSignals } from "@prebake/core";
import { buildProgram, runCli } from "./program.ts";
import { registrars } from "./registrars.ts";

// SIGINT, SIGTERM and SIGHUP: run the registered cleanups (containers, builds), then exit 130/143/129.
exitOnSignals();

process.exitCode = await runCli(buildProgram(registrars), process.argv);
