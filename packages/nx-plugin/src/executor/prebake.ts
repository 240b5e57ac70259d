/**
 * The executor for one task (`nx run ci:deploy`, or any run with --batch=false): the task's
 * prebake command, run in the task's own process through the same code path as the binary.
 */
import type { ExecutorContext } from "@nx/devkit";
import { createCommandLineRunner, exitCodeName } from "@prebake/cli";
import { exitOnSignals } from "@prebake/core";
import { commandLine, exitLine, type TaskOptions } from "./task.ts";

export default async function prebakeExecutor(
  options: TaskOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  // Targets name paths from the workspace root (`codebuild run --source .`), as the CLI does.
  process.chdir(context.root);
  exitOnSignals();
  const args = commandLine(options);
  const code = await createCommandLineRunner()(args);
  if (code !== 0) process.stderr.write(exitLine(args, code, exitCodeName(code)));
  return { success: code === 0 };
}
