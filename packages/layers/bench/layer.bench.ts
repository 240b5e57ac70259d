/**
 * Lambda layer benchmark: cold build (empty pip cache, no previous build) vs warm build (pip cache
 * filled, rebuild forced) vs up-to-date build (inputs unchanged: the zip is reused) vs an unchanged
 * publish (the hash is already a layer version: nothing uploaded). Also the layer's size before and
 * after slimming. Runs on a scratch copy of layers/common-utils with a unique layer name against
 * the local profile (Docker engine + moto), and deletes what it published.
 *
 *   node_modules/.bin/node packages/layers/bench/layer.bench.ts [runs=3]
 */
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteLayerVersionCommand, LambdaClient, ListLayerVersionsCommand } from "@aws-sdk/client-lambda";
import { createContext, formatBytes, formatTable } from "@prebake/core";
import { buildLayer, cleanLayerBuild } from "../src/build.ts";
import { loadLayerDefinition } from "../src/definition.ts";
import { publishLayer } from "../src/publish.ts";
import { PIP_CACHE_VOLUME } from "../src/workspace.ts";

const runs = Number(process.argv[2] ?? 3);
const REPO = resolve(import.meta.dirname, "..", "..", "..");
const NAME = `bench-${randomBytes(3).toString("hex")}`;
const root = await mkdtemp(join(tmpdir(), "prebake-layer-bench-"));
await cp(join(REPO, "images", "python-layer"), join(root, "images", "python-layer"), { recursive: true });
await cp(join(REPO, "layers", "common-utils"), join(root, "layers", NAME), { recursive: true });
const yamlPath = join(root, "layers", NAME, "layer.yaml");
await writeFile(
  yamlPath,
  (await readFile(yamlPath, "utf8")).replace(/^name: common-utils$/m, `name: ${NAME}`),
);
const ctx = createContext({ cwd: root, quiet: true });
const def = loadLayerDefinition(root, NAME);
const docker = ctx.docker();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

const samples: Record<string, number[]> = { cold: [], warm: [], upToDate: [], publishUnchanged: [] };
let sizes = { before: 0, after: 0, zipped: 0, sha: "" };
try {
  for (let i = 0; i < runs; i++) {
    await cleanLayerBuild(root, NAME);
    await docker
      .getVolume(PIP_CACHE_VOLUME)
      .remove()
      .catch(() => undefined);
    samples.cold!.push(await time(() => buildLayer(ctx, def, { force: true })));
    await cleanLayerBuild(root, NAME);
    samples.warm!.push(
      await time(async () => {
        const [b] = await buildLayer(ctx, def, { force: true });
        sizes = {
          before: b!.slim.beforeBytes,
          after: b!.slim.afterBytes,
          zipped: b!.zippedBytes,
          sha: b!.sha256,
        };
      }),
    );
    samples.upToDate!.push(await time(() => buildLayer(ctx, def)));
  }
  const builds = await buildLayer(ctx, def);
  await publishLayer(ctx, def, builds); // the first publish uploads; every later one finds the hash
  for (let i = 0; i < runs; i++) {
    samples.publishUnchanged!.push(
      await time(async () => {
        const [p] = await publishLayer(ctx, def, await buildLayer(ctx, def));
        if (p!.published) throw new Error("an unchanged layer was published again");
      }),
    );
  }
} finally {
  const lambda = ctx.aws(LambdaClient);
  const versions = await lambda
    .send(new ListLayerVersionsCommand({ LayerName: NAME }))
    .catch(() => undefined);
  for (const v of versions?.LayerVersions ?? []) {
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: NAME, VersionNumber: v.Version! }));
  }
  await rm(root, { recursive: true, force: true });
}

const base = median(samples.cold!);
const label: Record<string, string> = {
  cold: "cold build (empty pip cache)",
  warm: "warm build (pip cache, forced rebuild)",
  upToDate: "up-to-date build (inputs unchanged)",
  publishUnchanged: "build + publish, layer unchanged (skip)",
};
console.log(
  `Lambda layer benchmark: ${def.name} (python ${def.pythonVersions.join(", ")} ${def.architectures.join(", ")}), ${runs} runs each`,
);
console.log(
  formatTable(
    ["variant", "median", "min", "max", "vs cold"],
    Object.entries(samples).map(([k, xs]) => [
      label[k]!,
      `${(median(xs) / 1000).toFixed(2)}s`,
      `${(Math.min(...xs) / 1000).toFixed(2)}s`,
      `${(Math.max(...xs) / 1000).toFixed(2)}s`,
      `${(median(xs) / base).toFixed(3)}x`,
    ]),
  ),
);
console.log(
  `\nlayer size: ${formatBytes(sizes.before)} unzipped as pip installs it -> ${formatBytes(sizes.after)} after slimming ` +
    `(${((1 - sizes.after / sizes.before) * 100).toFixed(1)}% less), zip ${formatBytes(sizes.zipped)}, sha256 ${sizes.sha.slice(0, 12)}`,
);
