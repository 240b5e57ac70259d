/**
 * Runs a batch's tasks as Nx would run them one process each: a task starts once every task it
 * depends on has succeeded, up to `concurrency` at a time, and a failed task skips its
 * dependents (and theirs) without stopping the independent ones. Results are yielded as tasks
 * finish, so Nx reports each one when it is done.
 */
export type TaskStatus = "success" | "failure" | "skipped";

export interface Finished<T> {
  id: string;
  status: TaskStatus;
  /** What `run` resolved with; absent for a skipped task. */
  value?: T;
}

export interface BatchPlan {
  ids: string[];
  /** The tasks `id` waits for; ids outside the batch are done already (Nx ran them before). */
  dependenciesOf: (id: string) => string[];
}

type Run<T> = (id: string) => Promise<{ ok: boolean; value: T }>;

export async function* runInDependencyOrder<T>(
  plan: BatchPlan,
  run: Run<T>,
  concurrency: number,
): AsyncGenerator<Finished<T>> {
  const inBatch = new Set(plan.ids);
  const waitsFor = new Map(plan.ids.map((id) => [id, plan.dependenciesOf(id).filter((d) => inBatch.has(d))]));
  const pending = new Set(plan.ids);
  const succeeded = new Set<string>();
  const running = new Map<string, Promise<Finished<T>>>();

  const start = (id: string) => {
    pending.delete(id);
    running.set(
      id,
      run(id).then(
        ({ ok, value }) => ({ id, status: ok ? "success" : "failure", value }),
        // `run` reports failures as values; a throw is a bug, but it still fails only this task.
        (): Finished<T> => ({ id, status: "failure" }),
      ),
    );
  };

  while (pending.size > 0 || running.size > 0) {
    for (const id of pending) {
      if (running.size >= Math.max(1, concurrency)) break;
      if (waitsFor.get(id)!.every((d) => succeeded.has(d))) start(id);
    }
    if (running.size === 0) break; // nothing can start: a dependency cycle, which Nx never sends
    const done = await Promise.race(running.values());
    running.delete(done.id);
    yield done;
    if (done.status === "success") succeeded.add(done.id);
    else yield* skipDependents(done.id, pending, waitsFor);
  }
  for (const id of pending) yield { id, status: "skipped" };
}

/** Every pending task that (transitively) waits for `failed`, removed from `pending`. */
function* skipDependents<T>(
  failed: string,
  pending: Set<string>,
  waitsFor: Map<string, string[]>,
): Generator<Finished<T>> {
  const blocked = new Set([failed]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of pending) {
      if (waitsFor.get(id)!.some((d) => blocked.has(d))) {
        blocked.add(id);
        pending.delete(id);
        grew = true;
        yield { id, status: "skipped" };
      }
    }
  }
}
