import { ExitCode } from "@prebake/core";
import { buildProgram, runCli } from "./program.ts";
import { registrars } from "./registrars.ts";

process.on("SIGINT", () => {
  process.stderr.write("\nprebake: interrupted\n");
  process.exit(ExitCode.INTERRUPTED);
});

process.exitCode = await runCli(buildProgram(registrars), process.argv);
