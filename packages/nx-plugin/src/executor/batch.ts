/**
 * The batch executor: Nx hands over every prebake task of a run that can go together (for
 * `nx run-many -t deploy`, the whole pipeline), and they run in this one process instead of one
 * Node process each. Each task runs its prebake command through the same code path as the binary
 * (so its messages and exit code are the command's), in dependency order, sharing the loaded
 * configuration and the AWS and Docker clients. Each task's result and output go back to Nx as it
 * finishes; a failure skips only that task's dependents. Stack deploys go as wide as the graph
 * allows up to `concurrency.deploys`, everything else up to `concurrency.builds`, and the lint tasks
 * share one cfn-lint process (schedule.ts).
 */
import type { ExecutorContext, TaskGraph, TaskGraphExecutor } from "@nx/devkit";
import { createCommandLineRunner, exitCodeName } from "@prebake/cli";
import { ContextPool, DEFAULT_DEPLOY_CONCURRENCY, exitOnSignals, stackPaths } from "@prebake/core";
import { lintTemplates } from "@prebake/stack";
import { captureOutput } from "./capture.ts";
import { runInDependencyOrder } from "./schedule.ts";
import { commandLine, exitLine, type TaskOptions } from "./task.ts";
import { workOf } from "./work.ts";

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

/**
 * How many deploys and other tasks run at once: the configuration's `concurrency`, and for the
 * others Nx's own setting (its --parallel reaches a batch only as NX_PARALLEL), else 3 as Nx runs
 * processes. A configuration that cannot be read gives the defaults: each task reports the error.
 * It is the configuration the tasks' commands get from the pool (from the workspace root, no flags).
 */
function slotsOf(pool: ContextPool): { default: number; deploys: number } {
  const nx = Number(process.env.NX_PARALLEL) || 3;
  try {
    const { deploys, builds } = pool.get({}).config.concurrency;
    return { default: builds ?? nx, deploys };
  } catch {
    return { default: nx, deploys: DEFAULT_DEPLOY_CONCURRENCY };
  }
}

export default async function* prebakeBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, TaskOptions>,
  _overrides: unknown,
  context: ExecutorContext,
): AsyncGenerator<BatchExecutorTaskResult> {
  process.chdir(context.root);
  exitOnSignals();
  const pool = new ContextPool();
  const runCommand = createCommandLineRunner(pool);
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
  const work = new Map(Object.keys(taskGraph.tasks).map((id) => [id, workOf(commandLine(inputs[id]!))]));
  const plan = {
    ids: Object.keys(taskGraph.tasks),
    dependenciesOf: (id: string) => (taskGraph.dependencies[id] ?? []).map((edge) => edge.id),
    kindOf: (id: string) => work.get(id)!.kind,
    groupOf: (id: string) => (work.get(id)!.lints ? "lint" : undefined),
  };
  const limits = {
    slots: slotsOf(pool),
    // One cfn-lint over every lint task's templates; each task then reads its own findings (and a
    // template that fails fails only its task). A failure here is each task's to report.
    prepareGroup: async (_group: string, ids: string[]) => {
      const stacks = ids.flatMap((id) => work.get(id)!.lints!);
      await lintTemplates(
        context.root,
        stacks.map((s) => stackPaths.template(context.root, s)),
      );
    },
  };
  for await (const done of runInDependencyOrder(plan, runTask, limits)) {
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
