import { createHash } from "node:crypto";
import { constants, existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { BuildFailedError, type Context, formatBytes, formatDuration, writeJsonAtomic } from "@prebake/core";
import { type LayerDefinition, publishedLayerName } from "./definition.ts";
import { LOCAL_IMAGE_VERSIONS, resolveLayerImage } from "./image.ts";
import {
  batchArguments,
  indexArgs,
  type PipIndex,
  parsePipReport,
  pinnedRequirement,
  type ResolvedDistribution,
  readHostPipConfig,
  resolvePipIndex,
  targetArgs,
} from "./pip.ts";
import { type CommandRunner, ContainerRunner, HostRunner } from "./runner.ts";
import { type Architecture, PYTHON_RUNTIMES } from "./runtimes.ts";
import { type SlimResult, slimDirectory } from "./slim.ts";
import { deterministicZip, listFiles } from "./zip.ts";

export interface BuildOptions {
  /** Rebuild even when the inputs equal the last build's. */
  force?: boolean;
  /** Print every pip line (pip -v). */
  debug?: boolean;
  /** Command-line budget per pip batch (bytes); tests lower it to force several batches. */
  maxArgBytes?: number;
}

export interface BuiltLayer {
  name: string;
  layerName: string;
  arch: Architecture;
  pythonVersions: string[];
  zipPath: string;
  sha256: string;
  zippedBytes: number;
  unzippedBytes: number;
  files: number;
  slim: { beforeBytes: number; afterBytes: number; removedPaths: number };
  distributions: { name: string; version: string }[];
  batches: number;
  /** True when the inputs equal the last build's and its zip was reused. */
  upToDate: boolean;
  durationMs: number;
  inputsHash: string;
}

/** The folder a layer's build works in and leaves its zip in. */
export const layerBuildDir = (rootDir: string, name: string) => join(rootDir, "dist", "layers", name);

/** The folder pip installs into for a Python version: python/ alone, or python/lib/pythonX.Y/site-packages. */
export function installSubdir(def: Pick<LayerDefinition, "pythonVersions">, version: string): string {
  return def.pythonVersions.length === 1 ? "python" : `python/lib/python${version}/site-packages`;
}

/** Pip cache shared by local layer builds (a named volume), so a warm build downloads nothing. */
export const PIP_CACHE_VOLUME = "prebake-layer-pip-cache";

async function hashTree(dir: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for (const rel of await listFiles(dir)) {
    hash.update(`${rel}\0`);
    hash.update(await readFile(join(dir, rel)));
  }
}

/** Bump when the build's own logic changes what it produces, so up-to-date checks see a new input. */
export const BUILD_FORMAT = "prebake-layer-build/2";

/** What determines a build's output: definition, requirements, own sources, image, index. */
async function inputsHash(
  def: LayerDefinition,
  arch: Architecture,
  image: string,
  index: PipIndex,
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`${BUILD_FORMAT}\0`);
  hash.update(await readFile(join(def.dir, "layer.yaml")));
  hash.update(await readFile(def.requirementsPath));
  hash.update(`${arch}\0${image}\0${JSON.stringify(indexArgs(index))}\0`);
  if (def.sourcePath) await hashTree(def.sourcePath, hash);
  return hash.digest("hex");
}

/**
 * Copy a tree into another, creating folders as needed and refusing to overwrite a file: two
 * distributions (or the layer's own code and a distribution) must not ship the same path.
 * Returns the paths that collided.
 */
export async function mergeTree(src: string, dest: string): Promise<string[]> {
  const conflicts: string[] = [];
  for (const rel of await listFiles(src)) {
    const target = join(dest, rel);
    await mkdir(dirname(target), { recursive: true });
    try {
      await copyFile(join(src, rel), target, constants.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      conflicts.push(rel);
    }
  }
  return conflicts;
}

/** pip writes direct_url.json for URL installs: it would leak local paths and differ per index. Drop it. */
async function dropDirectUrls(root: string): Promise<void> {
  for (const rel of await listFiles(root)) {
    if (!/\.dist-info\/direct_url\.json$/.test(rel)) continue;
    await rm(join(root, rel));
    const record = join(root, rel.replace(/direct_url\.json$/, "RECORD"));
    if (existsSync(record)) {
      const lines = (await readFile(record, "utf8"))
        .split("\n")
        .filter((l) => !l.includes("direct_url.json,"));
      await writeFile(record, lines.join("\n"));
    }
  }
}

function pipFailure(step: string, tail: string[], def: LayerDefinition, extra = ""): BuildFailedError {
  const errorLine =
    [...tail].reverse().find((l) => /^ERROR:/.test(l.trim())) ?? tail[tail.length - 1] ?? "no output";
  const noWheel = /No matching distribution|from versions: none/.test(errorLine);
  return new BuildFailedError(`pip ${step} failed: ${errorLine.trim()}${extra}`, {
    where: def.file,
    fix: noWheel
      ? "that package has no manylinux wheel for this Python/architecture in the index: pin a version that ships one, or change index"
      : "run again with --debug for pip's full output",
  });
}

interface Mapping {
  /** Path of a host folder as the runner sees it. */
  path(host: string): string;
  python: string;
}

async function installFor(
  ctx: Context,
  runner: CommandRunner,
  map: Mapping,
  def: LayerDefinition,
  arch: Architecture,
  version: string,
  index: PipIndex,
  workDir: string,
  stageDir: string,
  options: BuildOptions,
): Promise<{ distributions: ResolvedDistribution[]; batches: number }> {
  const py = PYTHON_RUNTIMES[version]!;
  const pipBase = [
    map.python,
    "-m",
    "pip",
    "install",
    "--isolated",
    "--disable-pip-version-check",
    ...(options.debug ? ["-v"] : []),
  ];
  const target = [...indexArgs(index), ...targetArgs(py, arch)];
  const onLine = (line: string) => (options.debug ? ctx.out.info(line) : ctx.out.debug(line));
  const reportFile = join(workDir, `report-${version}.json`);
  const requirements = join(def.dir, relative(def.dir, def.requirementsPath));

  ctx.out.progress("pip", `resolving ${relative(def.dir, def.requirementsPath)} for ${py.runtime} ${arch}`);
  const resolved = await runner.run(
    [
      ...pipBase,
      "--dry-run",
      "--ignore-installed",
      "--quiet",
      "--report",
      map.path(reportFile),
      "--target",
      map.path(join(workDir, "resolve")),
      ...target,
      "-r",
      map.path(requirements),
    ],
    onLine,
  );
  if (resolved.exitCode !== 0)
    throw pipFailure("resolution", resolved.tail, def, ` (${py.runtime}, ${arch})`);
  const distributions = parsePipReport(await readFile(reportFile, "utf8"));

  // pip compiles .pyc by default; slimming removes them (Lambda's /opt is read-only, they would never be
  // refreshed), which keeps "before slimming" honest: it is what a plain pip install produces.
  const installArgv = (batchDir: string, batch: string[]) => [
    ...pipBase,
    "--no-deps",
    "--target",
    map.path(batchDir),
    ...target,
    ...batch,
  ];
  const fixed = installArgv(join(workDir, "batch-000"), []);
  const batches = batchArguments(distributions.map(pinnedRequirement), fixed, options.maxArgBytes);
  const installDir = join(stageDir, installSubdir(def, version));
  await mkdir(installDir, { recursive: true });
  for (const [i, batch] of batches.entries()) {
    // Each batch gets its own --target: pip refuses to merge into an existing folder (namespace packages
    // shared by two batches would be skipped or clobbered), so batches are merged here, file by file.
    const batchDir = join(workDir, `batch-${String(i).padStart(3, "0")}`);
    await rm(batchDir, { recursive: true, force: true });
    ctx.out.progress(
      "pip",
      `installing batch ${i + 1}/${batches.length} (${batch.length} distributions) for ${py.runtime} ${arch}`,
    );
    const argv = installArgv(batchDir, batch);
    const res = await runner.run(argv, onLine);
    if (res.exitCode !== 0) throw pipFailure(`install (batch ${i + 1}/${batches.length})`, res.tail, def);
    const conflicts = await mergeTree(batchDir, installDir);
    if (conflicts.length > 0) {
      throw new BuildFailedError(
        `two distributions install the same file: ${conflicts.slice(0, 3).join(", ")}`,
        {
          where: def.file,
          fix: "remove one of the conflicting requirements",
        },
      );
    }
    await rm(batchDir, { recursive: true, force: true });
  }
  await dropDirectUrls(installDir);
  return { distributions, batches: batches.length };
}

/** Build every architecture of a layer: install, add own sources, slim, zip. */
export async function buildLayer(
  ctx: Context,
  def: LayerDefinition,
  options: BuildOptions = {},
): Promise<BuiltLayer[]> {
  const { rootDir, profile } = ctx.config;
  const index = resolvePipIndex(def.index, `${def.file}: index`, readHostPipConfig);
  const inImage = Boolean(process.env.PREBAKE_LAYER_IMAGE);
  // pip only downloads wheels for the --platform/--python-version given, so one interpreter serves every
  // target version; locally that is the 3.11 image, in the aws profile the first version's image.
  const builderVersion = inImage
    ? process.env.PREBAKE_LAYER_IMAGE!
    : profile.kind === "local"
      ? LOCAL_IMAGE_VERSIONS[0]!
      : def.pythonVersions[0]!;
  const image = inImage
    ? `python-layer image (${builderVersion})`
    : await resolveLayerImage(ctx, builderVersion);
  // The image's id, not its tag, goes into the inputs hash: a rebuilt image under the same tag is a new input.
  const imageId = inImage ? image : ((await ctx.docker().getImage(image).inspect()).Id as string);
  const buildRoot = layerBuildDir(rootDir, def.name);
  const results: BuiltLayer[] = [];
  let runner: CommandRunner | undefined;
  let map: Mapping | undefined;

  try {
    for (const arch of def.architectures) {
      const started = Date.now();
      const layerName = publishedLayerName(def, arch);
      const workDir = join(buildRoot, arch);
      const stageDir = join(workDir, "stage");
      const zipPath = join(buildRoot, `${layerName}.zip`);
      const stateFile = join(workDir, "build.json");
      const inputs = await inputsHash(def, arch, imageId, index);
      ctx.out.step(`layer ${def.name} (${arch}, ${def.pythonVersions.map((v) => `python${v}`).join(", ")})`);

      if (!options.force && def.hashedRequirements && existsSync(stateFile) && existsSync(zipPath)) {
        const previous = JSON.parse(await readFile(stateFile, "utf8")) as BuiltLayer;
        if (previous.inputsHash === inputs) {
          ctx.out.success(
            `${layerName}: up to date (inputs unchanged, locked requirements), sha256 ${previous.sha256.slice(0, 12)}`,
          );
          results.push({ ...previous, upToDate: true, durationMs: Date.now() - started });
          continue;
        }
      }

      if (!runner) {
        if (inImage) {
          runner = new HostRunner();
          map = { path: (p) => p, python: "/opt/python-layer/bin/python" };
        } else {
          const mounts = [
            { host: def.dir, container: "/layer/src", readOnly: true },
            { host: buildRoot, container: "/layer/out", readOnly: false },
            ...index.mounts.map((m) => ({ host: m, container: m, readOnly: true })),
          ];
          await mkdir(buildRoot, { recursive: true });
          runner = await ContainerRunner.start(ctx.docker(), {
            image,
            name: `prebake-layer-${def.name}-${process.pid}-${Date.now().toString(36)}`,
            binds: mounts,
            volumes: { [PIP_CACHE_VOLUME]: "/root/.cache/pip" },
          });
          map = {
            python: "/opt/python-layer/bin/python",
            path: (p) => {
              for (const m of mounts) {
                const rel = relative(m.host, p);
                if (!rel.startsWith("..") && !rel.startsWith("/"))
                  return rel ? `${m.container}/${rel.split("\\").join("/")}` : m.container;
              }
              throw new Error(`path ${p} is not mounted in the build container`);
            },
          };
        }
        ctx.out.info(`building in ${runner.description}; index: ${index.description}`);
      }

      await rm(workDir, { recursive: true, force: true });
      await mkdir(stageDir, { recursive: true });
      const distributions: ResolvedDistribution[] = [];
      let batches = 0;
      for (const version of def.pythonVersions) {
        const r = await installFor(ctx, runner, map!, def, arch, version, index, workDir, stageDir, options);
        distributions.push(...r.distributions);
        batches += r.batches;
      }
      if (def.sourcePath) {
        // The layer's own packages go to python/ (every Python version imports them from there).
        const conflicts = await mergeTree(def.sourcePath, join(stageDir, "python"));
        if (conflicts.length > 0) {
          throw new BuildFailedError(
            `own source collides with an installed distribution: ${conflicts.slice(0, 3).join(", ")}`,
            {
              where: `${def.file}: source`,
              fix: "rename the package in the source folder",
            },
          );
        }
      }
      const slim: SlimResult = await slimDirectory(join(stageDir, "python"), def.slim);
      const zip = await deterministicZip(stageDir, zipPath);
      const built: BuiltLayer = {
        name: def.name,
        layerName,
        arch,
        pythonVersions: def.pythonVersions,
        zipPath,
        sha256: zip.sha256,
        zippedBytes: zip.zippedBytes,
        unzippedBytes: zip.unzippedBytes,
        files: zip.files,
        slim: {
          beforeBytes: slim.beforeBytes,
          afterBytes: slim.afterBytes,
          removedPaths: slim.removed.length,
        },
        distributions: distributions.map((d) => ({ name: d.name, version: d.version })),
        batches,
        upToDate: false,
        durationMs: Date.now() - started,
        inputsHash: inputs,
      };
      await writeJsonAtomic(stateFile, built);
      ctx.out.success(
        `${layerName}: ${distributions.length} distributions in ${batches} pip batch(es), slimmed ${formatBytes(slim.beforeBytes)} -> ` +
          `${formatBytes(slim.afterBytes)} unzipped, zip ${formatBytes(zip.zippedBytes)}, sha256 ${zip.sha256.slice(0, 12)} (${formatDuration(built.durationMs)})`,
      );
      results.push(built);
    }
  } finally {
    await runner?.close();
  }
  return results;
}

/** Remove a layer's build folder (benchmarks' cold runs). */
export async function cleanLayerBuild(rootDir: string, name: string): Promise<void> {
  await rm(layerBuildDir(rootDir, name), { recursive: true, force: true });
}
