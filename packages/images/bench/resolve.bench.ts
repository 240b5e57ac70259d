/**
 * What confirming a pushed image costs the callers (deploy, codebuild, layers), local profile:
 * side by side, medians over N runs, in one process with warm clients:
 *   - baseline: read and parse dist/images/<name>-<version>.json (what deploy did before);
 *   - resolvePushedImage: the same record, confirmed in the registry (HEAD by digest) and checked
 *     against the repository's lifecycle policy (GetLifecyclePolicy + DescribeImages on moto).
 * Everything it creates is deleted at the end.
 *
 *   node_modules/.bin/node packages/images/bench/resolve.bench.ts [runs=30]
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createContext, distPaths, formatTable } from "@prebake/core";
import { loadImageDefinition } from "../src/definition.ts";
import { pushImageVersion } from "../src/release.ts";
import { resolvePushedImage } from "../src/resolve.ts";
import { cleanup, makeRoot, suffix, writeTinyImage } from "../test/fixtures.ts";

const runs = Number(process.argv[2] ?? 30);
const id = suffix();
const NAME = `bench-resolve-${id}`;
const t = makeRoot();
writeTinyImage(t, NAME, { repository: `prebake-test/bench-resolve-${id}` });
const ctx = createContext({ cwd: t.root, quiet: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const time = async (fn: () => unknown) => {
  const started = performance.now();
  await fn();
  return performance.now() - started;
};

const samples = { read: [] as number[], resolve: [] as number[] };
try {
  await pushImageVersion(ctx, loadImageDefinition(join(t.root, "images"), NAME), "1.0");
  const file = distPaths.imageManifest(t.root, NAME, "1.0");
  await resolvePushedImage(ctx, NAME); // warm the clients (and the registry target) once
  for (let i = 0; i < runs; i++) {
    samples.read.push(await time(() => JSON.parse(readFileSync(file, "utf8")).uri));
    samples.resolve.push(await time(() => resolvePushedImage(ctx, NAME)));
  }
} finally {
  await cleanup(t, ctx);
}

const base = median(samples.resolve);
const ms = (x: number) => `${x.toFixed(2)} ms`;
process.stdout.write(
  `\nresolving a pushed image, ${runs} runs each (medians; ratio vs resolvePushedImage)\n\n`,
);
process.stdout.write(
  `${formatTable(
    ["variant", "median", "min", "max", "vs resolve"],
    [
      ["read dist/images json only (before)", samples.read],
      ["resolvePushedImage (registry + lifecycle)", samples.resolve],
    ].map(([label, xs]) => {
      const values = xs as number[];
      return [
        label as string,
        ms(median(values)),
        ms(Math.min(...values)),
        ms(Math.max(...values)),
        `${(median(values) / base).toFixed(3)}x`,
      ];
    }),
  )}\n`,
);
