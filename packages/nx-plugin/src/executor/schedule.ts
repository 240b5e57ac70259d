/**
 * Runs a batch's tasks as Nx would run them one process each: a task starts once every task it
 * depends on has succeeded, and a failed task skips its dependents (and theirs) without stopping
 * the independent ones. Results are yielded as tasks finish, so Nx reports each one when it is done.
 *
 * Two things a batch can do that one process per task cannot:
 * - Limits per kind of work. Stack deploys mostly wait on CloudFormation, so they can go much wider
 *   than image builds, which use the machine: each task takes a slot of its kind's pool.
 * - Groups whose work is shared. The lint tasks of a run are one cfn-lint process: a group's tasks
 *   start together once every one of them can (the group's `prepare` runs first, with all their
 *   ids), and they take no slot. Tasks that a group waits for start before other ready tasks.
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
  /** The pool of slots a task takes (see Limits); default "default". */
  kindOf?: (id: string) => string;
  /** The group a task's work is shared with, or undefined. */
  groupOf?: (id: string) => string | undefined;
}

export interface Limits {
  /** Tasks of each kind at once; a kind not listed uses `default`. */
  slots: Record<string, number> & { default: number };
  /** Runs before a group's tasks start, with their ids (e.g. one cfn-lint over all their templates). */
  prepareGroup?: (group: string, ids: string[]) => Promise<void>;
}

type Run<T> = (id: string) => Promise<{ ok: boolean; value: T }>;

export async function* runInDependencyOrder<T>(
  plan: BatchPlan,
  run: Run<T>,
  limits: number | Limits,
): AsyncGenerator<Finished<T>> {
  const { slots, prepareGroup } = typeof limits === "number" ? { slots: { default: limits } } : limits;
  const kindOf = (id: string) => plan.kindOf?.(id) ?? "default";
  const limitOf = (kind: string) => Math.max(1, slots[kind] ?? slots.default);
  const groupOf = (id: string) => plan.groupOf?.(id);
  const inBatch = new Set(plan.ids);
  const waitsFor = new Map(plan.ids.map((id) => [id, plan.dependenciesOf(id).filter((d) => inBatch.has(d))]));
  const pending = new Set(plan.ids);
  const succeeded = new Set<string>();
  const running = new Map<string, Promise<Finished<T>>>();
  const busy = new Map<string, number>();
  const isReady = (id: string) => waitsFor.get(id)!.every((d) => succeeded.has(d));
  // What a group waits for goes first: the group (and what waits for it) starts sooner.
  const feedsGroup = new Set(plan.ids.filter((id) => groupOf(id)).flatMap((id) => waitsFor.get(id)!));
  const byPriority = (ids: Iterable<string>) =>
    [...ids].sort((a, b) => Number(feedsGroup.has(b)) - Number(feedsGroup.has(a)));

  const start = (id: string, before: Promise<void> = Promise.resolve()) => {
    pending.delete(id);
    const kind = groupOf(id) ? undefined : kindOf(id);
    if (kind) busy.set(kind, (busy.get(kind) ?? 0) + 1);
    running.set(
      id,
      before
        .then(() => run(id))
        .then(
          ({ ok, value }): Finished<T> => ({ id, status: ok ? "success" : "failure", value }),
          // `run` reports failures as values; a throw is a bug, but it still fails only this task.
          (): Finished<T> => ({ id, status: "failure" }),
        )
        .finally(() => {
          if (kind) busy.set(kind, busy.get(kind)! - 1);
        }),
    );
  };

  /** A group's tasks start when all of its pending tasks are ready (or when nothing else would run). */
  const startGroups = (stalled: boolean) => {
    const groups = new Map<string, string[]>();
    for (const id of pending) {
      const group = groupOf(id);
      if (group) groups.set(group, [...(groups.get(group) ?? []), id]);
    }
    for (const [group, members] of groups) {
      const ready = members.filter(isReady);
      if (ready.length === 0 || (ready.length < members.length && !stalled)) continue;
      const prepared = (prepareGroup?.(group, ready) ?? Promise.resolve()).catch(() => undefined);
      for (const id of ready) start(id, prepared);
    }
  };

  while (pending.size > 0 || running.size > 0) {
    startGroups(false);
    for (const id of byPriority(pending)) {
      if (groupOf(id) || !isReady(id)) continue;
      const kind = kindOf(id);
      if ((busy.get(kind) ?? 0) < limitOf(kind)) start(id);
    }
    // Nothing runs, so nothing more becomes ready: a group waiting on its own members (a cycle
    // through other tasks) starts what it can; a real cycle (Nx never sends one) ends the batch.
    if (running.size === 0) startGroups(true);
    if (running.size === 0) break;
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
