/**
 * How long the CLI takes to start: `prebake --help` against Node's own start-up (`node -e 0`), and
 * `prebake status` on this repository's default environment against the same commands of a
 * baseline commit (before commands loaded lazily and the bundle existed), side by side in one run.
 * Each round runs every variant once, in turn, as a fresh process; wall time is the median over the
 * rounds, peak memory the median of each run's maximum resident set (`/usr/bin/time -f %M`).
 *
 *   node_modules/.bin/node packages/cli/bench/startup.bench.ts [--runs 9] [--baseline f62ae85]
 *   ... --baseline-dir /tmp/prebake-f62ae85     a checkout of the baseline, its npm ci done
 *
 * Needs the local services and the deployed stacks (a first `npm start`), and the bundle
 * (`npm run bundle`; it is built here when stale). Without --baseline-dir the baseline is a clone
 * of this repository at that commit with its own `npm install` (from npm's cache where it can).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "../bundle/bundle.ts";

const repo = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "9" },
    baseline: { type: "string", default: "f62ae85" },
    "baseline-dir": { type: "string" },
  },
});
const runs = Number(values.runs);
const node = join(repo, "node_modules/.bin/node");

await bundle("cli");
const base = values["baseline-dir"] ?? mkdtempSync(join(tmpdir(), "prebake-startup-baseline-"));
if (!values["baseline-dir"]) {
  execFileSync("git", ["clone", "-q", "--shared", repo, base]);
  execFileSync("git", ["-C", base, "checkout", "-q", "--detach", values.baseline!]);
  // npm install, not ci: the lockfiles of some earlier commits lack other platforms' entries.
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: base,
    stdio: "ignore",
  });
}
const baseCommit = execFileSync("git", ["-C", base, "rev-parse", "--short=10", "HEAD"], {
  encoding: "utf8",
}).trim();

interface Variant {
  name: string;
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
}
const bin = (root: string) => join(root, "packages/cli/bin/prebake.js");
const variants: Variant[] = [
  { name: "node -e 0 (the yardstick)", argv: [node, "-e", "0"], cwd: repo },
  { name: "prebake --help (bundle)", argv: [node, bin(repo), "--help"], cwd: repo },
  {
    name: "prebake --help (sources)",
    argv: [node, bin(repo), "--help"],
    cwd: repo,
    env: { PREBAKE_CLI_SOURCES: "1" },
  },
  { name: `prebake --help (baseline ${baseCommit})`, argv: [node, bin(base), "--help"], cwd: base },
  { name: "prebake status (bundle)", argv: [node, bin(repo), "status"], cwd: repo },
  {
    name: "prebake status (sources)",
    argv: [node, bin(repo), "status"],
    cwd: repo,
    env: { PREBAKE_CLI_SOURCES: "1" },
  },
  { name: `prebake status (baseline ${baseCommit})`, argv: [node, bin(base), "status"], cwd: base },
];

const rss = join(base, ".rss");
function once(v: Variant): { ms: number; mib: number } {
  const started = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", "-o", rss, ...v.argv], {
    cwd: v.cwd,
    env: { ...process.env, ...v.env },
    stdio: "ignore",
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${v.argv.join(" ")} exited ${r.status}`);
  return { ms, mib: Number(readFileSync(rss, "utf8").trim().split("\n").pop()) / 1024 };
}

const samples = new Map(variants.map((v) => [v.name, [] as { ms: number; mib: number }[]]));
for (const v of variants) once(v); // warm-up: compile caches, page cache
for (let i = 0; i < runs; i++) for (const v of variants) samples.get(v.name)!.push(once(v));
rmSync(rss, { force: true });
if (!values["baseline-dir"]) rmSync(base, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (name: string) => median(samples.get(name)!.map((s) => s.ms));
/** The median of the rounds' ratios: each round's runs are neighbours, so machine drift cancels. */
const ratio = (name: string, against: string) => {
  const a = samples.get(name)!;
  const b = samples.get(against)!;
  return median(a.map((s, i) => s.ms / b[i]!.ms));
};
const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);

console.log(
  `CLI start-up, ${runs} rounds (medians; each round runs every variant once, in this order; ratios are the median of the rounds' ratios)`,
);
console.log("");
console.log("| variant | wall | min | max | peak RSS | vs node -e 0 | vs baseline |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const v of variants) {
  const s = samples.get(v.name)!;
  const wall = ms(v.name);
  const isStatus = v.name.startsWith("prebake status");
  const baseline = isStatus ? variants.at(-1)!.name : variants[3]!.name;
  console.log(
    `| ${v.name} | ${fmt(wall)} | ${fmt(Math.min(...s.map((x) => x.ms)))} | ${fmt(Math.max(...s.map((x) => x.ms)))} | ` +
      `${median(s.map((x) => x.mib)).toFixed(1)} MiB | ${ratio(v.name, variants[0]!.name).toFixed(2)}x | ` +
      `${v.name === variants[0]!.name ? "-" : `${ratio(v.name, baseline).toFixed(2)}x`} |`,
  );
}
if (!existsSync(join(repo, "dist/cli/split/prebake.mjs"))) process.exitCode = 1;
