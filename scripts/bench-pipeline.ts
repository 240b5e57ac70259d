/**
 * The main job's figures: `npm start` (the whole pipeline, `nx run-many -t deploy`) on a first run
 * and on a no-op run, for three variants measured side by side in one run:
 *
 *   baseline     the code at --baseline <git ref> (default: main), as it ran before
 *   per-process  this checkout, `npm start -- --batch=false`: one Node process per Nx task
 *   batched      this checkout, `npm start`: the prebake executor runs the tasks in one process
 *   floor        this checkout with a batch executor that does no work (every task reported done):
 *                what npm, local-env.sh up, Nx and the summary cost before prebake does anything,
 *                no-op runs only
 *
 *   node_modules/.bin/node scripts/bench-pipeline.ts [--rounds 3] [--noop-runs 3] [--baseline main]
 *                                                    [--project <name>]
 *
 * Each variant runs in a throw-away copy of its code (node_modules linked to this checkout's, so
 * the same Nx and libraries) whose prebake.config.yaml names --project (default bench-<random>):
 * the stacks it deletes and creates are its own. Images and the layer are shared and content-
 * addressed, so they must be pushed/published already (a first `npm start` does that); a warm-up
 * run per variant fills each copy's Nx cache, dist/ manifests and lint memo.
 *
 * A first run: the project's two stacks are deleted from the emulator (checked: gone), then
 * `npm start` must create both (checked in its summary rows and in the emulator) while images and
 * the layer are skipped. A no-op run: `npm start` again; every summary row must say skipped. A run
 * that did not do what it claims fails the benchmark. Each round runs every variant once, in a
 * rotating order, so drift in the machine's load spreads evenly. Prints medians and ratios.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { readSummary, type SummaryRow } from "@prebake/cli";
import { cloudFormationStackName, createContext, listStacks } from "@prebake/core";
import { copyOf as copyFromRepo } from "./bench/copies.ts";
import { leftAfterDelete, notCreated, summaryMismatch } from "./bench/pipeline-checks.ts";

const repo = resolve(import.meta.dirname, "..");
/** The repository's stacks (ci, image-rebuild): the ones a first run must create. */
const STACKS = listStacks(repo);

/** The last --name on the command line wins, so options added after the defaults override them. */
function option(name: string, fallback: string): string {
  const i = process.argv.lastIndexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const rounds = Number(option("rounds", "3"));
const noopRuns = Number(option("noop-runs", "3"));
const baselineRef = option("baseline", "main");
const project = option("project", `bench-${randomBytes(3).toString("hex")}`);

/** A copy of `ref` (or "working-tree") with the benchmark's project name (scripts/bench/copies.ts). */
const copyOf = (ref: string, label: string) => copyFromRepo(repo, ref, label, project);

// ---------------------------------------------------------------------------------------------
// runs and what they must have done

interface Variant {
  name: string;
  what: string;
  copy: string;
  args: string[];
  /** The floor: no prebake work at all, so no first run and no summary rows to check. */
  floor?: boolean;
}

/** A copy whose batch executor reports every task done without running it (the floor variant). */
function withIdleExecutor(copy: string): string {
  writeFileSync(
    join(copy, "packages/nx-plugin/executors/batch.mjs"),
    `export default async function* idle(taskGraph) {\n` +
      `  for (const task of Object.keys(taskGraph.tasks)) yield { task, result: { success: true, terminalOutput: "" } };\n}\n`,
  );
  return copy;
}

/** The machine's 1-minute load average when each measured run started (2 cores; others share it). */
const loads: number[] = [];

/**
 * Runs `npm start` in a copy; returns its wall time and the summary rows it recorded (start.sh
 * records them in .prebake/runs/<time>/, emptied first so the run's folder is the only one).
 */
function npmStart(v: Variant): { ms: number; rows: SummaryRow[] } {
  const runs = join(v.copy, ".prebake", "runs");
  rmSync(runs, { recursive: true, force: true });
  loads.push(loadavg()[0]!);
  const started = performance.now();
  const r = spawnSync("npm", ["start", "--silent", ...(v.args.length ? ["--", ...v.args] : [])], {
    cwd: v.copy,
    env: { ...process.env, CI: "true" },
    encoding: "utf8",
  });
  const ms = performance.now() - started;
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${v.name}: npm start failed (exit ${r.status})`);
  }
  const folders = existsSync(runs) ? readdirSync(runs) : [];
  if (folders.length !== 1)
    throw new Error(`${v.name}: expected one results folder in ${runs}, found ${folders.length}`);
  return { ms, rows: readSummary(join(runs, folders[0]!)) };
}

/** Fails unless the rows name both stacks, both images and the layer, each with an allowed action. */
function expectRows(v: Variant, run: string, rows: SummaryRow[], stackAction: "created" | "skipped"): void {
  const mismatch = summaryMismatch(rows, STACKS, stackAction);
  if (mismatch) throw new Error(`${v.name} ${run}: ${mismatch}`);
}

// This checkout's context, whatever copy the stacks belong to: the stack names come from `project`,
// and a baseline copy's prebake.config.yaml may have keys this checkout's code does not know.
const cloudFormation = (_copy: string) => createContext({ cwd: repo, env: {} }).aws(CloudFormationClient);

async function stackStatus(cf: CloudFormationClient, stack: string): Promise<string | undefined> {
  try {
    const r = await cf.send(
      new DescribeStacksCommand({ StackName: cloudFormationStackName(project, stack) }),
    );
    const status = r.Stacks?.[0]?.StackStatus;
    return status === "DELETE_COMPLETE" ? undefined : status;
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

async function statuses(cf: CloudFormationClient): Promise<Record<string, string | undefined>> {
  const entries = await Promise.all(STACKS.map(async (s) => [s, await stackStatus(cf, s)] as const));
  return Object.fromEntries(entries);
}

/** Deletes the project's stacks and waits until the emulator no longer has them. */
async function deleteStacks(copy: string): Promise<void> {
  const cf = cloudFormation(copy);
  for (const stack of STACKS)
    await cf.send(new DeleteStackCommand({ StackName: cloudFormationStackName(project, stack) }));
  for (let tries = 0; ; tries++) {
    const left = leftAfterDelete(await statuses(cf));
    if (left.length === 0) return;
    if (tries > 120)
      throw new Error(`stacks of ${project} still there after deleting them: ${left.join(", ")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function expectCreated(copy: string, v: Variant): Promise<void> {
  const wrong = notCreated(await statuses(cloudFormation(copy)));
  if (wrong) throw new Error(`${v.name}: after a first run of ${project}, ${wrong}`);
}

async function firstRun(v: Variant): Promise<number> {
  await deleteStacks(v.copy);
  const { ms, rows } = npmStart(v);
  expectRows(v, "first run", rows, "created");
  await expectCreated(v.copy, v);
  return ms;
}

function noopRun(v: Variant): number {
  const { ms, rows } = npmStart(v);
  if (v.floor) {
    if (rows.length)
      throw new Error(`${v.name}: the idle executor ran prebake (${rows.length} summary rows)`);
  } else {
    expectRows(v, "no-op run", rows, "skipped");
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// figures

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(variants: Variant[], first: Map<string, number[]>, noop: Map<string, number[]>): void {
  const base = variants[0]!.name;
  const lines = [
    "| variant | first run (median) | no-op run (median) | first vs baseline | no-op vs baseline | no-op vs per-process |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  const ratio = (x: number, y: number) => `${(x / y).toFixed(3)}x`;
  for (const v of variants) {
    const n = median(noop.get(v.name)!);
    if (v.floor) {
      lines.push(
        `| ${v.name}: ${v.what} | - | ${seconds(n)} | - | ${ratio(n, median(noop.get(base)!))} | ` +
          `${ratio(n, median(noop.get("per-process")!))} |`,
      );
      continue;
    }
    const f = median(first.get(v.name)!);
    lines.push(
      `| ${v.name}: ${v.what} | ${seconds(f)} | ${seconds(n)} | ${ratio(f, median(first.get(base)!))} | ` +
        `${ratio(n, median(noop.get(base)!))} | ${ratio(n, median(noop.get("per-process")!))} |`,
    );
  }
  // Counted from the samples, not from the options: the figure says how many runs it is made of.
  const counts = variants
    .map((v) => `${v.name} ${first.get(v.name)!.length} first + ${noop.get(v.name)!.length} no-op`)
    .join(", ");
  const load = `load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} at the runs' starts`;
  process.stdout.write(`\n${lines.join("\n")}\n\nruns: ${counts}; ${load}; project ${project}\n`);
}

async function main(): Promise<void> {
  const variants: Variant[] = [
    {
      name: "baseline",
      what: `the code at ${baselineRef}`,
      copy: copyOf(baselineRef, "base"),
      args: [],
    },
    {
      name: "per-process",
      what: "--batch=false",
      copy: copyOf("working-tree", "pp"),
      args: ["--batch=false"],
    },
    {
      name: "batched",
      what: "one process for the pipeline",
      copy: copyOf("working-tree", "batch"),
      args: [],
    },
    {
      name: "floor",
      what: "batched, the executor idle (npm, local-env, Nx, summary only)",
      copy: withIdleExecutor(copyOf("working-tree", "floor")),
      args: [],
      floor: true,
    },
  ];
  const first = new Map(variants.map((v) => [v.name, [] as number[]]));
  const noop = new Map(variants.map((v) => [v.name, [] as number[]]));
  try {
    for (const v of variants) {
      process.stdout.write(`warm-up: ${v.name} (${v.copy})\n`);
      npmStart(v);
    }
    loads.length = 0; // the warm-up runs are not measured
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(round + k) % variants.length]!;
        if (!v.floor) first.get(v.name)!.push(await firstRun(v));
        for (let i = 0; i < noopRuns; i++) noop.get(v.name)!.push(noopRun(v));
        const firstFigure = v.floor ? "-" : seconds(first.get(v.name)!.at(-1)!);
        process.stdout.write(
          `round ${round + 1} ${v.name}: first ${firstFigure}, no-op ` +
            `${noop.get(v.name)!.slice(-noopRuns).map(seconds).join(", ")}\n`,
        );
      }
    }
    report(variants, first, noop);
  } finally {
    await deleteStacks(variants[0]!.copy).catch(() => undefined);
    for (const v of variants) rmSync(v.copy, { recursive: true, force: true });
  }
}

await main();
