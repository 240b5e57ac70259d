/**
 * Image push benchmark, on a small test image (Debian base + an 8 MB layer + a COPY), against the
 * local profile (Docker engine, registry 127.0.0.1:5050, moto). Side by side, medians over N runs:
 *   - no-op push: the content hash is already in the registry (nothing built or pushed);
 *   - warm-cache rebuild: `push --force`, every layer from the build cache, then pushed;
 *   - cold build: the previous image removed, `nocache`, then pushed (new layers uploaded).
 * Ratios are against the cold build. Everything it creates is deleted at the end.
 *
 *   node_modules/.bin/node packages/images/bench/push.bench.ts [runs=5]
 */

import { join } from "node:path";
import { createContext, formatBytes, formatDuration, formatTable } from "@prebake/core";
import { loadImageDefinition } from "../src/definition.ts";
import { type ImageResult, pushImageVersion } from "../src/release.ts";
import { cleanup, makeRoot, runCli, suffix, writeTinyImage } from "../test/fixtures.ts";

const runs = Number(process.argv[2] ?? 5);
const id = suffix();
const NAME = `bench-${id}`;
const t = makeRoot();
writeTinyImage(t, NAME, {
  repository: `prebake-test/bench-${id}`,
  dockerfile: `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
RUN head -c 8000000 /dev/urandom > /opt/blob && sha256sum /opt/blob
COPY hello.txt /opt/hello.txt
RUN cat /opt/hello.txt
`,
});
const ctx = createContext({ cwd: t.root, quiet: true });
const def = loadImageDefinition(join(t.root, "images"), NAME);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const samples = { noop: [] as number[], cli: [] as number[], warm: [] as number[], cold: [] as number[] };
let last: ImageResult | undefined;
try {
  // Prime: the first push of the repository uploads the base layers once.
  await pushImageVersion(ctx, def, "1.0", { force: true });
  for (let i = 0; i < runs; i++) {
    const cold = await pushImageVersion(ctx, def, "1.0", { force: true, noCache: true });
    samples.cold.push(cold.durationMs);
    const warm = await pushImageVersion(ctx, def, "1.0", { force: true });
    samples.warm.push(warm.durationMs);
    last = await pushImageVersion(ctx, def, "1.0");
    if (last.action !== "skipped") throw new Error(`expected a no-op push, got ${last.action}`);
    samples.noop.push(last.durationMs);
    const started = performance.now();
    const r = runCli(t.root, ["push", NAME]);
    if (r.code !== 0 || !r.stdout.includes("up to date"))
      throw new Error(`CLI no-op push failed: ${r.stderr}`);
    samples.cli.push(performance.now() - started);
    process.stderr.write(
      `run ${i + 1}/${runs}: cold ${formatDuration(cold.durationMs)}, warm ${formatDuration(warm.durationMs)}, no-op ${formatDuration(last.durationMs)}, CLI no-op ${formatDuration(samples.cli.at(-1)!)}\n`,
    );
  }
} finally {
  await cleanup(t, ctx);
}

const cold = median(samples.cold);
const rows = [
  ["cold build + push (image removed, nocache)", samples.cold],
  ["warm-cache rebuild + push (--force, layers cached)", samples.warm],
  ["no-op push (content hash already in the registry)", samples.noop],
  ["the same no-op as `prebake push` (adds Node start)", samples.cli],
] as const;
process.stdout.write(
  `\nprebake push, test image ${formatBytes(last?.sizeBytes ?? 0)} compressed, ${runs} runs each (medians; ratio vs cold)\n\n`,
);
process.stdout.write(
  `${formatTable(
    ["variant", "median", "min", "max", "vs cold", "speed-up"],
    rows.map(([label, xs]) => [
      label,
      formatDuration(median(xs)),
      formatDuration(Math.min(...xs)),
      formatDuration(Math.max(...xs)),
      `${(median(xs) / cold).toFixed(3)}x`,
      `${(cold / median(xs)).toFixed(1)}x faster`,
    ]),
  )}\n`,
);
