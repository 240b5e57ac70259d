/**
 * The executor for one task (`nx run ci:deploy`, or any run with --batch=false): the task's
 * prebake command, run in the task's own process through the same code path as the binary.
 */
import type { ExecutorContext } from "@nx/devkit";
import { loadPrebake } from "./load-cli.ts";
import { commandLine, exitLine, type TaskOptions } from "./task.ts";

export default async function prebakeExecutor(
  options: TaskOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const { cli, core } = await loadPrebake();
  // Targets name paths from the workspace root (`codebuild run --source .`), as the CLI does.
  process.chdir(context.root);
  core.exitOnSignals();
  const args = commandLine(options);
  const code = await cli.createCommandRunner()(args);
  if (code !== 0) process.stderr.write(exitLine(args, code, cli.exitCodeName(code)));
  return { success: code === 0 };
}
