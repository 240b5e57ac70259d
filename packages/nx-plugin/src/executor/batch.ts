/**
 * The batch executor: Nx hands over every prebake task of a run that can go together (for
 * `nx run-many -t deploy`, the whole pipeline), and they run in this one process instead of one
 * Node process each. Each task runs its prebake command through the same code path as the binary
 * (so its messages and exit code are the command's), in dependency order, sharing the loaded
 * configuration and the AWS and Docker clients. Each task's result and output go back to Nx as it
 * finishes; a failure skips only that task's dependents.
 */
import type { ExecutorContext, TaskGraph, TaskGraphExecutor } from "@nx/devkit";
import { createCommandLineRunner, exitCodeName } from "@prebake/cli";
import { exitOnSignals } from "@prebake/core";
import { captureOutput } from "./capture.ts";
import { runInDependencyOrder } from "./schedule.ts";
import { commandLine, exitLine, type TaskOptions } from "./task.ts";

/**
 * What a batch executor yields per task. @nx/devkit's public API names the executor type
 * (TaskGraphExecutor) but not this one (nx's BatchExecutorTaskResult): it is read off the
 * executor's return type, so it follows Nx's own definition.
 */
type BatchExecutorTaskResult =
  Awaited<ReturnType<TaskGraphExecutor>> extends infer R
    ? R extends AsyncIterableIterator<infer T>
      ? T
      : never
    : never;

/** As many tasks at once as Nx runs processes by default (its --parallel is not passed to a batch). */
const concurrency = () => Number(process.env.NX_PARALLEL) || 3;

export default async function* prebakeBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, TaskOptions>,
  _overrides: unknown,
  context: ExecutorContext,
): AsyncGenerator<BatchExecutorTaskResult> {
  process.chdir(context.root);
  exitOnSignals();
  const runCommand = createCommandLineRunner();
  const runTask = async (id: string) => {
    const args = commandLine(inputs[id]!);
    const startTime = Date.now();
    const { value: code, output } = await captureOutput(async () => {
      const code = await runCommand(args);
      if (code !== 0) process.stderr.write(exitLine(args, code, exitCodeName(code)));
      return code;
    });
    return { ok: code === 0, value: { terminalOutput: output, startTime, endTime: Date.now() } };
  };
  const plan = {
    ids: Object.keys(taskGraph.tasks),
    dependenciesOf: (id: string) => (taskGraph.dependencies[id] ?? []).map((edge) => edge.id),
  };
  for await (const done of runInDependencyOrder(plan, runTask, concurrency())) {
    yield {
      task: done.id,
      result: {
        success: done.status === "success",
        status: done.status,
        terminalOutput: done.value?.terminalOutput ?? "",
        ...(done.value && { startTime: done.value.startTime, endTime: done.value.endTime }),
      },
    };
  }
}
