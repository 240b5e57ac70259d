/**
 * The python-layer image rebuilt after a Dockerfile change, the classic builder against BuildKit,
 * side by side in one run. A change above the package step (an ENV line, as an edit of the
 * Dockerfile would be) makes that step run again: the classic builder downloads the apt lists and
 * packages again; BuildKit finds them in its cache mounts (images/python-layer/Dockerfile).
 *
 *   node_modules/.bin/node packages/images/bench/buildkit.bench.ts [pairs=3]
 *
 * The classic builder cannot parse RUN --mount, so its variant builds the same Dockerfile with the
 * mounts taken out and the cleanup they made unnecessary put back (what the Dockerfile was before
 * BuildKit). Each variant builds once first (to fill its caches), then the pairs alternate, each
 * build with an edit of its own. Local profile, Debian bookworm base, network as prebake builds.
 * Not in `npm run bench`: a pair takes minutes. Images it tags are removed at the end.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createContext, formatTable } from "@prebake/core";
import { buildImage } from "../src/build.ts";
import { listContextFiles, packContext } from "../src/context.ts";
import { loadImageDefinition } from "../src/definition.ts";

const pairs = Number(process.argv[2] ?? 3);
const repo = resolve(import.meta.dirname, "../../..");
const def = loadImageDefinition(join(repo, "images"), "python-layer");
const buildkitDockerfile = readFileSync(join(def.dir, def.dockerfile), "utf8");

/** The Dockerfile as the classic builder can build it: no RUN --mount, the caches cleaned in the step. */
function legacyDockerfile(text: string): string {
  const stripped = text.replace(/^RUN (?:--mount=\S+ \\\n\s*)+/m, "RUN ");
  return stripped.replace(
    /(apt-get install -y [^\n]*; \\\n)/,
    "$1      apt-get clean; rm -rf /var/lib/apt/lists/*; \\\n",
  );
}

/** A Dockerfile edit above the package step: an ENV line with a value of this build's own. */
const edited = (text: string, edit: string) =>
  text.replace(/^(# BuildKit mounts|RUN )/m, `ENV PREBAKE_BENCH_EDIT=${edit}\n$1`);

const ctx = createContext({ cwd: repo, quiet: true });
const work = mkdtempSync(join(tmpdir(), "prebake-buildkit-bench-"));
const tags: string[] = [];
const run = `${process.pid}-${Date.now()}`;

async function build(variant: "legacy" | "buildkit", edit: string): Promise<number> {
  const dir = join(work, `${variant}-${edit}`);
  cpSync(def.dir, dir, { recursive: true });
  const text = variant === "legacy" ? legacyDockerfile(buildkitDockerfile) : buildkitDockerfile;
  writeFileSync(join(dir, def.dockerfile), edited(text, `${run}-${edit}`));
  const tag = `prebake-bench/python-layer:${variant}-${run}-${edit}`;
  tags.push(tag);
  process.env.PREBAKE_BUILDER = variant;
  const started = performance.now();
  await buildImage(ctx, {
    label: `python-layer (${variant})`,
    context: packContext(dir, listContextFiles(dir, def.dockerfile)),
    dockerfile: def.dockerfile,
    tags: [tag],
    buildArgs: { ...def.buildArgs, ...def.versions["3.11"]!.buildArgs, BASE_IMAGE: def.base.local! },
    labels: {},
    platform: def.platform,
    networkMode: "host",
    dockerfileText: text,
  });
  return performance.now() - started;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

try {
  const times: Record<"legacy" | "buildkit", number[]> = { legacy: [], buildkit: [] };
  const warm = { legacy: await build("legacy", "warm"), buildkit: await build("buildkit", "warm") };
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first, so neither always runs on a machine the other just warmed.
    const order: ("legacy" | "buildkit")[] = i % 2 ? ["buildkit", "legacy"] : ["legacy", "buildkit"];
    for (const v of order) times[v].push(await build(v, `edit${i}`));
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    formatTable(
      ["builder", "first build (fills caches)", "rebuilds after an edit", "median"],
      (["legacy", "buildkit"] as const).map((v) => [
        v,
        s(warm[v]),
        times[v].map(s).join(", "),
        s(median(times[v])),
      ]),
    ),
  );
  console.log(
    `\nratio buildkit / legacy (medians of ${pairs} rebuilds each): ${(median(times.buildkit) / median(times.legacy)).toFixed(2)}x`,
  );
} finally {
  const docker = ctx.docker();
  for (const tag of tags)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
