/**
 * The scale benchmark (`npm run bench -- scale`): `npm start` in a repository the size of a team's,
 * this checkout's code against a baseline's, side by side in one run.
 *
 *   node_modules/.bin/node scripts/bench-scale.ts [--stacks 20] [--images 6] [--layers 3]
 *        [--rounds 3] [--noop-runs 3] [--baseline 90731a4] [--baseline-dir DIR]
 *        [--growth 0:0:0,4:1:1,10:3:2,17:5:3|none] [--deploys 1,2,4,8,16|none]
 *        [--only baseline|this]      (one variant only: for trying things, not for the doc)
 *
 * The baseline is a clone of this repository at --baseline with its own `npm install` (its
 * dependencies are not this checkout's), or an install of it at --baseline-dir. Each measurement
 * is a fresh throw-away copy of a variant's code (scripts/bench/copies.ts) with a unique project
 * name and N stacks, M images and K layers added (scripts/bench/scale-items.ts), so its first run
 * creates every stack, builds and pushes every added image and publishes every added layer. First,
 * one unmeasured run of each variant's sample repository pushes the images and publishes the layer
 * that code's content hashes name (shared by every later copy of the same code). In a copy:
 *   first run      `npm start` with an empty Nx cache, no dist/ and no .prebake/
 *   first no-op    `npm start` again: every row skipped (the issue: it relinted every new stack)
 *   no-op          then --noop-runs more, their median
 * cfn-lint runs are counted (a console script in front of the real one logs every lint call), and
 * a run that did not do what its figure claims (a first run that did not create a stack, a no-op
 * that pushed) fails the benchmark. The variants alternate within a round, so drift in the shared
 * machine's load spreads over both. `--growth` sizes (stacks:images:layers added) measure how the
 * first run and the no-op grow with the repository, one round each; the first size, nothing
 * added, is the sample repository itself. `--deploys` measures this checkout's first run at the
 * headline size with each `concurrency.deploys` (how core's default was chosen), alternating the
 * values over --rounds rounds.
 * Every copy's stacks, repositories, local images and layer versions are removed afterwards.
 *
 * The baseline cannot publish two layers at once in its batch (each publish renames the same
 * .prebake/pip-config.json temp file, named by the process id, and the second fails), so a run
 * against 90731a4 adds no layers: `--layers 0` and growth sizes with no layers (docs/benchmarks.md).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CloudFormationClient,
  DeleteStackCommand,
  paginateListStacks,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DeleteLayerVersionCommand, LambdaClient, paginateListLayerVersions } from "@aws-sdk/client-lambda";
import { readSummary, type SummaryRow } from "@prebake/cli";
import { createContext, formatTable } from "@prebake/core";
import { copyOf } from "./bench/copies.ts";
import { addScaleItems, type ScaleItems, type ScaleSize } from "./bench/scale-items.ts";

const repo = resolve(import.meta.dirname, "..");

function option(name: string, fallback: string): string {
  const i = process.argv.lastIndexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const headline: ScaleSize = {
  stacks: Number(option("stacks", "20")),
  images: Number(option("images", "6")),
  layers: Number(option("layers", "3")),
};
const rounds = Number(option("rounds", "3"));
const noopRuns = Number(option("noop-runs", "3"));
const baselineRef = option("baseline", "90731a4");
const growthOption = option("growth", "0:0:0,4:1:1,10:3:2,17:5:3");
const growth: ScaleSize[] =
  growthOption === "none"
    ? []
    : growthOption.split(",").map((s) => {
        const [stacks, images, layers] = s.split(":").map(Number);
        return { stacks: stacks!, images: images!, layers: layers! };
      });

const deploysOption = option("deploys", "1,2,4,8,16");
const deploySweep = deploysOption === "none" ? [] : deploysOption.split(",").map(Number);

/** The baseline's code with its own dependencies: a clone at the ref and its npm install. */
function baselineInstall(): { dir: string; made: boolean } {
  const given = option("baseline-dir", "");
  if (given) return { dir: resolve(given), made: false };
  const dir = mkdtempSync(join(tmpdir(), "prebake-bench-scale-baseline-"));
  execFileSync("git", ["clone", "-q", "--shared", repo, dir]);
  execFileSync("git", ["-C", dir, "checkout", "-q", "--detach", baselineRef]);
  // npm install, not ci: the lockfiles of some earlier commits lack other platforms' entries.
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: "ignore",
  });
  return { dir, made: true };
}

interface Variant {
  name: string;
  /** The checkout whose working tree (and node_modules) a copy is made of. */
  source: string;
}
const only = option("only", "");
const baseline = only === "" || "baseline".startsWith(only) ? baselineInstall() : undefined;
const variants: Variant[] = [
  ...(baseline ? [{ name: "baseline", source: baseline.dir }] : []),
  ...(only === "" || "this checkout".startsWith(only) ? [{ name: "this checkout", source: repo }] : []),
];

/** The sample repository's items: 2 stacks, 2 images, 1 layer (what every copy starts with). */
const SAMPLE_ITEMS = 5;
const itemsOf = (s: ScaleSize) => SAMPLE_ITEMS + s.stacks + s.images + s.layers;

// ---------------------------------------------------------------------------------------------
// counting cfn-lint runs

const lintBin = mkdtempSync(join(tmpdir(), "prebake-bench-scale-bin-"));
const realPath = process.env.PATH ?? "";
writeFileSync(
  join(lintBin, "cfn-lint"),
  `#!/bin/sh\n[ "$1" = "--version" ] || echo "$*" >> "$PREBAKE_BENCH_LINT_LOG"\nPATH="${realPath}" exec cfn-lint "$@"\n`,
);
chmodSync(join(lintBin, "cfn-lint"), 0o755);

/** How many templates cfn-lint linted since the log was emptied, in how many processes. */
function lintCalls(log: string): { processes: number; templates: number } {
  const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const templates = lines.flatMap((l) => l.split(" -- ")[1]?.split(" ") ?? []);
  return { processes: lines.length, templates: templates.length };
}

// ---------------------------------------------------------------------------------------------
// runs

const loads: number[] = [];

interface Run {
  ms: number;
  rows: SummaryRow[];
  lint: { processes: number; templates: number };
}

function npmStart(copy: string, label: string): Run {
  const runs = join(copy, ".prebake", "runs");
  const log = join(copy, ".bench-cfn-lint.log");
  rmSync(runs, { recursive: true, force: true });
  rmSync(log, { force: true });
  loads.push(loadavg()[0]!);
  const started = performance.now();
  const r = spawnSync("npm", ["start", "--silent"], {
    cwd: copy,
    env: { ...process.env, CI: "true", PATH: `${lintBin}:${realPath}`, PREBAKE_BENCH_LINT_LOG: log },
    encoding: "utf8",
    timeout: 20 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`.slice(-20_000));
    throw new Error(`${label}: npm start failed (exit ${r.status ?? r.signal})`);
  }
  const folders = existsSync(runs) ? readdirSync(runs) : [];
  if (folders.length !== 1) throw new Error(`${label}: expected one results folder in ${runs}`);
  return { ms, rows: readSummary(join(runs, folders[0]!)), lint: lintCalls(log) };
}

/** What a first run must have done: create every stack, push every added image, publish every added layer. */
function firstRunProblem(rows: SummaryRow[], items: ScaleItems): string | undefined {
  const action = (kind: string, name: string) =>
    rows.filter((r) => r.kind === kind && r.name.split(":")[0] === name).map((r) => r.action);
  const wrong = [
    ...["ci", "image-rebuild", ...items.stacks].flatMap((s) => {
      const a = action("stack", s);
      return a.length === 1 && a[0] === "created" ? [] : [`stack ${s}: ${a.join(", ") || "no row"}`];
    }),
    ...items.images.flatMap((i) => {
      const a = action("image", i);
      return a.length === 1 && !a[0]!.startsWith("skipped")
        ? []
        : [`image ${i}: ${a.join(", ") || "no row"}`];
    }),
    ...items.layers.flatMap((l) => {
      const a = action("layer", l);
      return a.length === 1 && a[0] === "published" ? [] : [`layer ${l}: ${a.join(", ") || "no row"}`];
    }),
  ];
  return wrong.length ? wrong.join("; ") : undefined;
}

/**
 * What a no-op must have done: every row skipped, one per stack and image. A layer's row may be
 * missing: the baseline (90731a4) records no row for a publish it skipped (this checkout does).
 */
function noopProblem(rows: SummaryRow[], size: ScaleSize): string | undefined {
  const notSkipped = rows.filter((r) => !r.action.startsWith("skipped"));
  if (notSkipped.length) return notSkipped.map((r) => `${r.kind} ${r.name}: ${r.action}`).join("; ");
  const layers = rows.filter((r) => r.kind === "layer").length;
  const others = rows.length - layers;
  const expected = itemsOf(size) - (1 + size.layers);
  if (others !== expected || layers > 1 + size.layers)
    return `${rows.length} summary rows for ${itemsOf(size)} items (${rows.map((r) => `${r.kind} ${r.name}`).join(", ")})`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// clean-up: what a copy made in the shared services

const ctx = createContext({ cwd: repo, env: {} });

async function removeMade(project: string, items: ScaleItems): Promise<void> {
  const cf = ctx.aws(CloudFormationClient);
  const live: StackStatus[] = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "ROLLBACK_COMPLETE", "CREATE_FAILED"];
  for await (const page of paginateListStacks({ client: cf }, { StackStatusFilter: live })) {
    for (const s of page.StackSummaries ?? []) {
      if (s.StackName?.startsWith(`${project}-`))
        await cf.send(new DeleteStackCommand({ StackName: s.StackName })).catch(() => undefined);
    }
  }
  const ecr = ctx.aws(ECRClient);
  for (const repositoryName of items.repositories)
    await ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true })).catch(() => undefined);
  const lambda = ctx.aws(LambdaClient);
  for (const layer of items.layers) {
    const LayerName = `${layer}-x86_64`;
    try {
      for await (const page of paginateListLayerVersions({ client: lambda }, { LayerName }))
        for (const v of page.LayerVersions ?? [])
          await lambda.send(new DeleteLayerVersionCommand({ LayerName, VersionNumber: v.Version! }));
    } catch {}
  }
  const docker = ctx.docker();
  for (const image of await docker.listImages()) {
    const mine = (image.RepoTags ?? []).filter((t) => items.repositories.some((r) => t.includes(`${r}:`)));
    for (const tag of mine)
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// one measurement: a fresh copy of a variant's code at a size

interface Measured {
  items: number;
  first: Run;
  firstNoop: Run;
  noops: Run[];
}

async function measure(v: Variant, size: ScaleSize, runsAfter: number, deploys?: number): Promise<Measured> {
  const nonce = randomBytes(3).toString("hex");
  const project = `bsc${nonce}`;
  const copy = copyOf(v.source, "working-tree", "scale", project);
  if (deploys !== undefined)
    appendFileSync(join(copy, "prebake.config.yaml"), `concurrency: { deploys: ${deploys} }\n`);
  const items = addScaleItems(copy, size, `n${nonce}`);
  try {
    const first = npmStart(copy, `${v.name} first run`);
    const wrong = firstRunProblem(first.rows, items);
    if (wrong) throw new Error(`${v.name} first run: ${wrong}`);
    const firstNoop = npmStart(copy, `${v.name} first no-op`);
    const noops: Run[] = [];
    for (let i = 0; i < runsAfter; i++) noops.push(npmStart(copy, `${v.name} no-op`));
    for (const run of [firstNoop, ...noops]) {
      const problem = noopProblem(run.rows, size);
      if (problem) throw new Error(`${v.name} no-op: ${problem}`);
    }
    return { items: itemsOf(size), first, firstNoop, noops };
  } finally {
    await removeMade(project, items);
    rmSync(copy, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// figures

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}x`;
const lints = (r: Run) => (r.lint.processes ? `${r.lint.processes} (${r.lint.templates} templates)` : "0");

/** Least-squares slope of y over x: how much y grows per unit of x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

async function main(): Promise<void> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  for (const v of variants) {
    const m = await measure(v, { stacks: 0, images: 0, layers: 0 }, 0);
    process.stderr.write(`warm-up ${v.name}: first ${sec(m.first.ms)}, first no-op ${sec(m.firstNoop.ms)}\n`);
  }
  const headlineRuns = new Map<string, Measured[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const m = await measure(v, headline, noopRuns);
      headlineRuns.get(v.name)!.push(m);
      process.stderr.write(
        `round ${round + 1} ${v.name}: first ${sec(m.first.ms)} (lint ${lints(m.first)}), first no-op ` +
          `${sec(m.firstNoop.ms)} (lint ${lints(m.firstNoop)}), no-op ${m.noops.map((r) => sec(r.ms)).join(", ")}\n`,
      );
    }
  }
  const items = itemsOf(headline);
  out(
    `${headline.stacks} stacks, ${headline.images} images and ${headline.layers} layers added to the sample ` +
      `(${items} items in all); medians of ${rounds} fresh copies each, no-op of ${noopRuns} runs per copy.`,
  );
  out("");
  const summary = (name: string) => {
    const ms = headlineRuns.get(name)!;
    return {
      first: median(ms.map((m) => m.first.ms)),
      firstNoop: median(ms.map((m) => m.firstNoop.ms)),
      noop: median(ms.flatMap((m) => m.noops.map((r) => r.ms))),
      firstLint: ms.at(-1)!.first,
      firstNoopLint: ms.at(-1)!.firstNoop,
    };
  };
  const base = summary(variants[0]!.name);
  const rows = variants.map((v) => {
    const s = summary(v.name);
    return [
      v.name === "baseline" ? `baseline (${baselineRef})` : v.name,
      sec(s.first),
      sec(s.firstNoop),
      sec(s.noop),
      `${(s.first / items / 1000).toFixed(2)} s`,
      `${Math.round(s.noop / items)} ms`,
      lints(s.firstLint),
      lints(s.firstNoopLint),
      ratio(s.first, base.first),
      ratio(s.noop, base.noop),
    ];
  });
  out(
    formatTable(
      [
        "code",
        "first run",
        "first no-op",
        "no-op",
        "first run per item",
        "no-op per item",
        "cfn-lint, first run",
        "cfn-lint, first no-op",
        "first run vs baseline",
        "no-op vs baseline",
      ],
      rows,
    ),
  );

  if (growth.length) {
    const sweep = new Map<string, Measured[]>(variants.map((v) => [v.name, []]));
    for (const size of growth) {
      for (const v of variants) {
        const m = await measure(v, size, noopRuns);
        sweep.get(v.name)!.push(m);
        process.stderr.write(
          `growth ${itemsOf(size)} items ${v.name}: first ${sec(m.first.ms)}, no-op ${m.noops.map((r) => sec(r.ms)).join(", ")}\n`,
        );
      }
    }
    out("");
    out(
      `How the first run and the no-op grow (one fresh copy per size and code, no-op the median of ${noopRuns}):`,
    );
    out("");
    const header = ["items (stacks+images+layers)"];
    for (const v of variants) header.push(`${v.name}: first run`, `${v.name}: no-op`);
    out(
      formatTable(
        header,
        growth.map((size, i) => [
          `${itemsOf(size)} (${2 + size.stacks}+${2 + size.images}+${1 + size.layers})`,
          ...variants.flatMap((v) => {
            const m = sweep.get(v.name)![i]!;
            return [sec(m.first.ms), sec(median(m.noops.map((r) => r.ms)))];
          }),
        ]),
      ),
    );
    out("");
    for (const v of variants) {
      const ms = sweep.get(v.name)!;
      const firstSlope = slope(ms.map((m) => [m.items, m.first.ms]));
      const noopSlope = slope(ms.map((m) => [m.items, median(m.noops.map((r) => r.ms))]));
      out(
        `${v.name}: the first run grows by ${(firstSlope / 1000).toFixed(2)} s and the no-op by ` +
          `${Math.round(noopSlope)} ms per added item (least squares over the sizes).`,
      );
    }
  }
  const self = variants.find((v) => v.source === repo);
  if (deploySweep.length && self) {
    const byValue = new Map<number, Measured[]>(deploySweep.map((d) => [d, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < deploySweep.length; k++) {
        const deploys = deploySweep[(round + k) % deploySweep.length]!;
        const m = await measure(self, headline, 1, deploys);
        byValue.get(deploys)!.push(m);
        process.stderr.write(
          `deploys ${deploys} round ${round + 1}: first ${sec(m.first.ms)}, no-op ${sec(m.noops[0]!.ms)}\n`,
        );
      }
    }
    const fastest = Math.min(...deploySweep.map((d) => median(byValue.get(d)!.map((m) => m.first.ms))));
    out("");
    out(
      `concurrency.deploys, this checkout at ${items} items (medians of ${rounds} fresh copies; no-op: one run per copy):`,
    );
    out("");
    out(
      formatTable(
        ["concurrency.deploys", "first run", "no-op", "first run vs fastest"],
        deploySweep.map((d) => {
          const first = median(byValue.get(d)!.map((m) => m.first.ms));
          return [
            String(d),
            sec(first),
            sec(median(byValue.get(d)!.map((m) => m.noops[0]!.ms))),
            ratio(first, fastest),
          ];
        }),
      ),
    );
  }
  out("");
  out(
    `Load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} at the runs' starts ` +
      "(2 cores, shared with other sessions).",
  );
}

try {
  await main();
} finally {
  rmSync(lintBin, { recursive: true, force: true });
  if (baseline?.made) rmSync(baseline.dir, { recursive: true, force: true });
}
