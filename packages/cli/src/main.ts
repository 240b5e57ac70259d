import { ExitCode, runInterruptCleanups } from "@prebake/core";
import { buildProgram, runCli } from "./program.ts";
import { registrars } from "./registrars.ts";

let interrupted = false;
process.on("SIGINT", () => {
  // A second Ctrl-C exits at once; the first one undoes what the command started (containers).
  if (interrupted) process.exit(ExitCode.INTERRUPTED);
  interrupted = true;
  process.stderr.write("\nprebake: interrupted, cleaning up\n");
  void runInterruptCleanups().finally(() => process.exit(ExitCode.INTERRUPTED));
});

process.exitCode = await runCli(buildProgram(registrars), process.argv);
