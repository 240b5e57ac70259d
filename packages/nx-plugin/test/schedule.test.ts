import { describe, expect, it } from "vitest";
import { type Finished, runInDependencyOrder } from "../src/executor/schedule.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function runPlan(deps: Record<string, string[]>, fails: string[] = [], concurrency = 3) {
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (id: string) => {
    started.push(id);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await tick();
    running--;
    if (id === "throws") throw new Error("bug");
    return { ok: !fails.includes(id), value: `ran ${id}` };
  };
  const finished: Finished<string>[] = [];
  const plan = { ids: Object.keys(deps), dependenciesOf: (id: string) => deps[id]! };
  for await (const f of runInDependencyOrder(plan, run, concurrency)) finished.push(f);
  const status = Object.fromEntries(finished.map((f) => [f.id, f.status]));
  return { started, finished, status, maxRunning };
}

describe("batch schedule", () => {
  it("starts a task only after everything it depends on succeeded", async () => {
    const { started, status } = await runPlan({
      "ci:deploy": ["image-rebuild:deploy", "erlang-otp:deploy"],
      "image-rebuild:deploy": ["erlang-otp:deploy"],
      "erlang-otp:deploy": [],
    });
    expect(started).toEqual(["erlang-otp:deploy", "image-rebuild:deploy", "ci:deploy"]);
    expect(Object.values(status)).toEqual(["success", "success", "success"]);
  });

  it("runs independent tasks side by side, never more than the limit", async () => {
    const deps = { a: [], b: [], c: [], d: [], e: [] };
    expect((await runPlan(deps, [], 2)).maxRunning).toBe(2);
    expect((await runPlan(deps, [], 1)).maxRunning).toBe(1);
  });

  it("a failure skips its dependents and theirs, and nothing else", async () => {
    const { started, status } = await runPlan({ a: [], b: ["a"], c: ["b"], d: [], e: ["d"] }, ["a"]);
    expect(status).toEqual({ a: "failure", b: "skipped", c: "skipped", d: "success", e: "success" });
    expect(started).not.toContain("b");
    expect(started).not.toContain("c");
  });

  it("dependencies outside the batch already ran", async () => {
    const { status } = await runPlan({ "ci:deploy": ["ci:lint"] });
    expect(status).toEqual({ "ci:deploy": "success" });
  });

  it("a task that throws fails alone", async () => {
    const { status, finished } = await runPlan({ throws: [], after: ["throws"], other: [] });
    expect(status).toEqual({ throws: "failure", after: "skipped", other: "success" });
    expect(finished.find((f) => f.id === "other")!.value).toBe("ran other");
  });

  it("reports every task exactly once", async () => {
    const { finished } = await runPlan({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }, ["c"]);
    expect(finished.map((f) => f.id).sort()).toEqual(["a", "b", "c", "d"]);
  });
});

/** Runs `plan` with limits, recording the order of starts and prepares and the most running per kind. */
async function runLimited(
  deps: Record<string, string[]>,
  options: {
    kinds?: Record<string, string>;
    groups?: Record<string, string>;
    slots?: Record<string, number> & { default: number };
    fails?: string[];
    prepareFails?: boolean;
  } = {},
) {
  const events: string[] = [];
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const kindOf = (id: string) => options.kinds?.[id] ?? "default";
  const run = async (id: string) => {
    events.push(`start ${id}`);
    const kind = options.groups?.[id] ? `group ${options.groups[id]}` : kindOf(id);
    running.set(kind, (running.get(kind) ?? 0) + 1);
    most.set(kind, Math.max(most.get(kind) ?? 0, running.get(kind)!));
    await tick();
    running.set(kind, running.get(kind)! - 1);
    return { ok: !options.fails?.includes(id), value: id };
  };
  const plan = {
    ids: Object.keys(deps),
    dependenciesOf: (id: string) => deps[id]!,
    kindOf,
    groupOf: (id: string) => options.groups?.[id],
  };
  const limits = {
    slots: options.slots ?? { default: 3 },
    prepareGroup: async (group: string, ids: string[]) => {
      events.push(`prepare ${group}: ${[...ids].sort().join(" ")}`);
      await tick();
      if (options.prepareFails) throw new Error("cfn-lint is missing");
    },
  };
  const status: Record<string, string> = {};
  for await (const f of runInDependencyOrder(plan, run, limits)) status[f.id] = f.status;
  return { events, status, most };
}

describe("batch schedule: kinds and groups", () => {
  it("each kind of task has its own limit: deploys go wider than builds", async () => {
    const deps = Object.fromEntries(
      ["d1", "d2", "d3", "d4", "d5", "b1", "b2", "b3", "b4"].map((id) => [id, [] as string[]]),
    );
    const kinds = Object.fromEntries(
      Object.keys(deps).map((id) => [id, id.startsWith("d") ? "deploys" : "builds"]),
    );
    const { most, status } = await runLimited(deps, { kinds, slots: { default: 2, deploys: 4 } });
    expect(most.get("deploys")).toBe(4);
    expect(most.get("builds")).toBe(2);
    expect(Object.values(status).every((s) => s === "success")).toBe(true);
  });

  it("a group's tasks start together after one prepare with all of them, once every one is ready", async () => {
    const { events, status } = await runLimited(
      {
        "a:render": [],
        "b:render": [],
        "c:render": [],
        "a:lint": ["a:render"],
        "b:lint": ["b:render"],
        "c:lint": ["c:render"],
        "a:deploy": ["a:lint"],
      },
      { groups: { "a:lint": "lint", "b:lint": "lint", "c:lint": "lint" }, slots: { default: 1 } },
    );
    const prepare = events.indexOf("prepare lint: a:lint b:lint c:lint");
    expect(prepare, events.join("\n")).toBeGreaterThan(events.indexOf("start c:render"));
    expect(events.filter((e) => e.startsWith("prepare"))).toHaveLength(1);
    for (const lint of ["a:lint", "b:lint", "c:lint"])
      expect(events.indexOf(`start ${lint}`)).toBeGreaterThan(prepare);
    expect(Object.values(status).every((s) => s === "success")).toBe(true);
  });

  it("what a group waits for starts before other ready tasks", async () => {
    const { events } = await runLimited(
      { push: [], publish: [], "a:render": [], "a:lint": ["a:render"] },
      { groups: { "a:lint": "lint" }, slots: { default: 1 } },
    );
    expect(events[0]).toBe("start a:render");
  });

  it("a group member whose dependency failed is skipped; the others still run, and a failed prepare fails none", async () => {
    const { events, status } = await runLimited(
      {
        "a:render": [],
        "b:render": [],
        "a:lint": ["a:render"],
        "b:lint": ["b:render"],
        "b:deploy": ["b:lint"],
      },
      { groups: { "a:lint": "lint", "b:lint": "lint" }, fails: ["a:render"], prepareFails: true },
    );
    expect(events).toContain("prepare lint: b:lint");
    expect(status).toEqual({
      "a:render": "failure",
      "b:render": "success",
      "a:lint": "skipped",
      "b:lint": "success",
      "b:deploy": "success",
    });
  });

  it("a member that waits for another member's dependents: the ready ones start first, the rest after", async () => {
    const { events, status } = await runLimited(
      { "a:lint": [], "a:deploy": ["a:lint"], "b:lint": ["a:deploy"] },
      { groups: { "a:lint": "lint", "b:lint": "lint" } },
    );
    expect(events).toEqual([
      "prepare lint: a:lint",
      "start a:lint",
      "start a:deploy",
      "prepare lint: b:lint",
      "start b:lint",
    ]);
    expect(Object.values(status).every((s) => s === "success")).toBe(true);
  });
});
