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
