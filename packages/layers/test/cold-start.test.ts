import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type ConfigError, createContext, ValidationError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_COLD_START_MS, parseLayerDefinition } from "../src/definition.ts";
import { checkColdStart, type ImportTiming, overColdStartBudget } from "../src/smoke.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "prebake-coldstart-"));
  await writeFile(join(dir, "requirements.txt"), "pydantic==2.13.5\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const timings: ImportTiming[] = [
  { module: "pydantic", ok: true, ms: 65 },
  { module: "common_utils", ok: true, ms: 240.4 },
  { module: "heavy", ok: true, ms: 900 },
];

function captured() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { ctx: createContext({ cwd: dir, stdout: sink, tty: false, env: {} }), text: () => lines.join("") };
}

describe("layer.yaml budget.coldStartMs", () => {
  it("defaults to 200 ms and takes a value", () => {
    const def = (text: string) => parseLayerDefinition(text, "layers/x/layer.yaml", dir);
    expect(DEFAULT_COLD_START_MS).toBe(200);
    expect(def("name: x\nrequirements: requirements.txt\n").budget.coldStartMs).toBe(200);
    expect(
      def("name: x\nrequirements: requirements.txt\nbudget: { coldStartMs: 150 }\n").budget.coldStartMs,
    ).toBe(150);
    let bad: unknown;
    try {
      def("name: x\nrequirements: requirements.txt\nbudget: { coldStartMs: -1 }\n");
    } catch (e) {
      bad = e;
    }
    expect((bad as ConfigError).toLine()).toContain("layers/x/layer.yaml:3:24: budget.coldStartMs");
  });

  it("lists the modules over budget, slowest first", () => {
    expect(overColdStartBudget(timings, 200).map((t) => t.module)).toEqual(["heavy", "common_utils"]);
    expect(overColdStartBudget(timings, 1000)).toEqual([]);
  });

  it("warns above the budget, and fails with --strict (exit 4) naming the file and field", () => {
    const { ctx, text } = captured();
    checkColdStart(ctx, timings, "3.11", { coldStartMs: 200, file: "layers/x/layer.yaml", strict: false });
    expect(text()).toContain(
      "warning: python3.11: cold import over the 200 ms cold-start budget: heavy 900 ms, common_utils 240 ms",
    );
    let err: unknown;
    try {
      checkColdStart(ctx, timings, "3.11", { coldStartMs: 200, file: "layers/x/layer.yaml", strict: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).exitCode).toBe(4);
    expect((err as ValidationError).toLine()).toContain("layers/x/layer.yaml: budget.coldStartMs");
    const quiet = captured();
    checkColdStart(quiet.ctx, timings, "3.11", { coldStartMs: 1000, file: "f", strict: true });
    expect(quiet.text()).toBe("");
  });
});
