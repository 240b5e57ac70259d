/**
 * What rendering and checking the stacks costs, against baselines in the same run:
 *  - in process: prebake's emitYaml (short tags, canonical order, YAML 1.1-safe quoting) and
 *    parseYaml (short-tag resolvers) on the ci template vs the `yaml` package's plain
 *    stringify/parse of the same long-form data (no tags, no ordering);
 *  - whole process: `prebake render --check` (both stacks) vs `cfn-lint` on the same two files,
 *    the two commands `nx run-many -t render lint` spends its time in.
 *
 *   node_modules/.bin/node packages/stack/bench/render.bench.ts [--runs 9]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { emitYaml, loadStackSource, parseYaml } from "../src/index.ts";

const repo = resolve(import.meta.dirname, "../../..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Median milliseconds of `fn`, timed over `inner` calls per run (for sub-millisecond work). */
function time(fn: () => unknown, inner = 1): number {
  const samples: number[] = [];
  fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    for (let j = 0; j < inner; j++) fn();
    samples.push((performance.now() - t) / inner);
  }
  return median(samples);
}

const template = await loadStackSource(repo, "ci");
const text = readFileSync(join(repo, "stacks/ci/stack.yaml"), "utf8");
const longForm = JSON.parse(JSON.stringify(template));

const rows: [string, string, number, number][] = [
  [
    "emit ci template",
    "yaml.stringify (long form)",
    time(() => emitYaml(template), 50),
    time(() => stringify(longForm), 50),
  ],
  [
    "parse ci stack.yaml",
    "yaml.parse (tags as strings)",
    time(() => parseYaml(text), 50),
    time(() => parse(text, { customTags: [], logLevel: "silent" }), 50),
  ],
];

const node = join(repo, "node_modules/.bin/node");
const prebake = join(repo, "packages/cli/bin/prebake.js");
const files = ["stacks/ci/stack.yaml", "stacks/image-rebuild/stack.yaml"];
const proc = (cmd: string, args: string[]) => () =>
  execFileSync(cmd, args, { cwd: repo, stdio: "ignore", env: { ...process.env, CI: "true" } });
rows.push([
  "prebake render --check (2 stacks, process)",
  "cfn-lint (same 2 files, process)",
  time(proc(node, [prebake, "render", "--check"])),
  time(proc("cfn-lint", ["--format", "parseable", "--", ...files])),
]);

console.log(`runs: ${runs} (medians)`);
console.log("| measured | median | baseline | median | ratio measured/baseline |");
console.log("| --- | --- | --- | --- | --- |");
for (const [name, base, a, b] of rows) {
  const ms = (x: number) => (x < 10 ? `${x.toFixed(2)} ms` : `${Math.round(x)} ms`);
  console.log(`| ${name} | ${ms(a)} | ${base} | ${ms(b)} | ${(a / b).toFixed(2)} |`);
}
