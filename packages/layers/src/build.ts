import { createHash } from "node:crypto";
import { constants, existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import {
  BuildFailedError,
  ConfigError,
  type Context,
  containerRuntime,
  distPaths,
  formatBytes,
  formatDuration,
  listTree,
  readTreeFile,
  stripUrlCredentials,
  writeJsonAtomic,
} from "@prebake/core";
import { type LayerDefinition, publishedLayerName } from "./definition.ts";
import { LAYER_IMAGE_NAME, LOCAL_IMAGE_VERSIONS, resolveLayerImage } from "./image.ts";
import {
  batchArguments,
  indexArgs,
  type MissingDistribution,
  missingDistribution,
  type PipIndex,
  parsePipReport,
  pinnedRequirement,
  type ResolvedDistribution,
  readHostPipConfig,
  resolvePipIndex,
  targetArgs,
} from "./pip.ts";
import { type CommandRunner, ContainerRunner, HostRunner } from "./runner.ts";
import { ARCH_FACTS, type Architecture, formatGlibc, PYTHON_RUNTIMES } from "./runtimes.ts";
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
export const layerBuildDir = (rootDir: string, name: string) => distPaths.layerBuildDir(rootDir, name);

/** The folder pip installs into for a Python version: python/ alone, or python/lib/pythonX.Y/site-packages. */
export function installSubdir(def: Pick<LayerDefinition, "pythonVersions">, version: string): string {
  return def.pythonVersions.length === 1 ? "python" : `python/lib/python${version}/site-packages`;
}

/** Pip cache shared by local layer builds (a named volume), so a warm build downloads nothing. */
export const PIP_CACHE_VOLUME = "prebake-layer-pip-cache";

/** A link counts by its target (it is zipped as a link); listing refuses one that leaves the folder. */
async function hashTree(
  dir: string,
  hash: ReturnType<typeof createHash>,
  shown: (path: string) => string,
): Promise<void> {
  for (const file of await listTree(dir, shown)) {
    hash.update(`${file.path}\0`);
    hash.update(file.type === "symlink" ? `\0symlink\0${file.target}` : await readTreeFile(dir, file.path));
  }
}

/** How a path in the layer's source folder is named in messages (repository-relative). */
const sourceFileShown = (def: LayerDefinition) => (path: string) =>
  join(dirname(def.file), relative(def.dir, def.sourcePath ?? def.dir), path);

/** Bump when the build's own logic changes what it produces, so up-to-date checks see a new input. */
export const BUILD_FORMAT = "prebake-layer-build/2";

/** What determines a build's output: definition, requirements, own sources, image, index. */
export async function inputsHash(
  def: LayerDefinition,
  arch: Architecture,
  image: string,
  index: PipIndex,
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`${BUILD_FORMAT}\0`);
  hash.update(await readFile(join(def.dir, "layer.yaml")));
  hash.update(await readFile(def.requirementsPath));
  // Without URL credentials: a rotated index token (CodeArtifact's last 12 hours) is not a new input.
  hash.update(`${arch}\0${image}\0${JSON.stringify(indexArgs(index).map(stripUrlCredentials))}\0`);
  if (def.sourcePath) await hashTree(def.sourcePath, hash, sourceFileShown(def));
  return hash.digest("hex");
}

/**
 * Copy a tree into another, creating folders as needed and refusing to overwrite a file: two
 * distributions (or the layer's own code and a distribution) must not ship the same path.
 * A symlink is copied as a link, never followed; one that is absolute or leaves `src` is refused
 * (named by `shown`). Returns the paths that collided.
 */
export async function mergeTree(
  src: string,
  dest: string,
  shown?: (path: string) => string,
): Promise<string[]> {
  const conflicts: string[] = [];
  for (const file of await listTree(src, shown)) {
    const target = join(dest, file.path);
    await mkdir(dirname(target), { recursive: true });
    try {
      if (file.type === "symlink") await symlink(file.target!, target);
      else await copyFile(join(src, file.path), target, constants.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      conflicts.push(file.path);
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

function pipFailure(step: string, tail: string[], def: LayerDefinition): BuildFailedError {
  const errorLine =
    [...tail].reverse().find((l) => /^ERROR:/.test(l.trim())) ?? tail[tail.length - 1] ?? "no output";
  return new BuildFailedError(`pip ${step} failed: ${errorLine.trim()}`, {
    where: def.file,
    fix: "run again with --debug for pip's full output",
  });
}

/**
 * The index has no wheel of a requirement for this target: pip only takes wheels here, for the
 * Lambda runtime's Python, CPU and glibc. Names the package, the target and the index.
 */
function noWheelFailure(missing: MissingDistribution, job: PipJob): BuildFailedError {
  const py = PYTHON_RUNTIMES[job.version]!;
  const machine = ARCH_FACTS[job.arch].machine;
  const glibc = formatGlibc(py.glibc);
  const found =
    missing.versions === "none" ? "no version of it has one" : `versions with one: ${missing.versions}`;
  return new BuildFailedError(
    `no ${machine} wheel of ${missing.requirement} for ${py.runtime} (${py.cpTag}, manylinux up to glibc ${glibc}) ` +
      `in the index ${job.index.description}; ${found}`,
    {
      where: `${job.def.file}: requirements`,
      fix:
        `pin a version that ships a manylinux ${machine} wheel for ${py.cpTag} (or abi3, or pure Python), add such a wheel to the index, ` +
        `or remove ${job.arch} from architectures / ${job.version} from pythonVersions`,
    },
  );
}

interface Mapping {
  /** Path of a host folder as the runner sees it. */
  path(host: string): string;
  python: string;
}

/** Where the build's commands run, and how host paths look there. */
interface Workspace {
  runner: CommandRunner;
  map: Mapping;
}

/** One Python version of one architecture: what pip installs, where, and from which index. */
interface PipJob {
  def: LayerDefinition;
  arch: Architecture;
  version: string;
  index: PipIndex;
  workDir: string;
  stageDir: string;
  options: BuildOptions;
}

/** The pip command both steps share, and the options that pick wheels for the Lambda runtime. */
function pipCommand(ws: Workspace, job: PipJob) {
  const py = PYTHON_RUNTIMES[job.version]!;
  return {
    py,
    base: [
      ws.map.python,
      "-m",
      "pip",
      "install",
      "--isolated",
      "--disable-pip-version-check",
      ...(job.options.debug ? ["-v"] : []),
    ],
    target: [...indexArgs(job.index), ...targetArgs(py, job.arch)],
  };
}

const pipLines = (ctx: Context, job: PipJob) => (line: string) =>
  job.options.debug ? ctx.out.info(line) : ctx.out.debug(line);

/** pip's dry run with --report: every distribution the requirements resolve to, with its exact file. */
async function resolveDistributions(
  ctx: Context,
  ws: Workspace,
  job: PipJob,
): Promise<ResolvedDistribution[]> {
  const { def, workDir } = job;
  const { py, base, target } = pipCommand(ws, job);
  const reportFile = join(workDir, `report-${job.version}.json`);
  const requirements = join(def.dir, relative(def.dir, def.requirementsPath));
  ctx.out.progress(
    "pip",
    `resolving ${relative(def.dir, def.requirementsPath)} for ${py.runtime} ${job.arch}`,
  );
  const resolved = await ws.runner.run(
    [
      ...base,
      "--dry-run",
      "--ignore-installed",
      "--quiet",
      "--report",
      ws.map.path(reportFile),
      "--target",
      ws.map.path(join(workDir, "resolve")),
      ...target,
      "-r",
      ws.map.path(requirements),
    ],
    pipLines(ctx, job),
  );
  if (resolved.exitCode !== 0) {
    const missing = missingDistribution(resolved.tail);
    throw missing
      ? noWheelFailure(missing, job)
      : pipFailure(`resolution (${py.runtime}, ${job.arch})`, resolved.tail, def);
  }
  return parsePipReport(await readFile(reportFile, "utf8"));
}

/** Resolve, then install the exact files in batches that keep each command line under ARG_MAX. */
async function installFor(
  ctx: Context,
  ws: Workspace,
  job: PipJob,
): Promise<{ distributions: ResolvedDistribution[]; batches: number }> {
  const { def, workDir } = job;
  const distributions = await resolveDistributions(ctx, ws, job);
  const { py, base, target } = pipCommand(ws, job);
  // pip compiles .pyc by default; slimming removes them (Lambda's /opt is read-only, they would never be
  // refreshed), which keeps "before slimming" honest: it is what a plain pip install produces.
  const installArgv = (batchDir: string, batch: string[]) => [
    ...base,
    "--no-deps",
    "--target",
    ws.map.path(batchDir),
    ...target,
    ...batch,
  ];
  const fixed = installArgv(join(workDir, "batch-000"), []);
  const batches = batchArguments(distributions.map(pinnedRequirement), fixed, job.options.maxArgBytes);
  const installDir = join(job.stageDir, installSubdir(def, job.version));
  await mkdir(installDir, { recursive: true });
  for (const [i, batch] of batches.entries()) {
    // Each batch gets its own --target: pip refuses to merge into an existing folder (namespace packages
    // shared by two batches would be skipped or clobbered), so batches are merged here, file by file.
    const batchDir = join(workDir, `batch-${String(i).padStart(3, "0")}`);
    await rm(batchDir, { recursive: true, force: true });
    const of = `${i + 1}/${batches.length}`;
    ctx.out.progress(
      "pip",
      `installing batch ${of} (${batch.length} distributions) for ${py.runtime} ${job.arch}`,
    );
    const res = await ws.runner.run(installArgv(batchDir, batch), pipLines(ctx, job));
    if (res.exitCode !== 0) throw pipFailure(`install (batch ${of})`, res.tail, def);
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

/**
 * The runner for this build: this machine when prebake runs inside the python-layer image, else a
 * long-lived python-layer container with the layer, the build folder and local indexes mounted.
 */
async function openWorkspace(
  ctx: Context,
  def: LayerDefinition,
  image: string,
  buildRoot: string,
  index: PipIndex,
): Promise<Workspace> {
  const python = "/opt/python-layer/bin/python";
  if (process.env.PREBAKE_LAYER_IMAGE) return { runner: new HostRunner(), map: { path: (p) => p, python } };
  const mounts = [
    { host: def.dir, container: "/layer/src", readOnly: true },
    { host: buildRoot, container: "/layer/out", readOnly: false },
    ...index.mounts.map((m) => ({ host: m, container: m, readOnly: true })),
  ];
  await mkdir(buildRoot, { recursive: true });
  const runner = await ContainerRunner.start(ctx, {
    image,
    namePrefix: `prebake-layer-${def.name}`,
    binds: mounts,
    volumes: { [PIP_CACHE_VOLUME]: "/root/.cache/pip" },
  });
  const path = (p: string) => {
    for (const m of mounts) {
      const rel = relative(m.host, p);
      if (!rel.startsWith("..") && !rel.startsWith("/"))
        return rel ? `${m.container}/${rel.split("\\").join("/")}` : m.container;
    }
    throw new Error(`path ${p} is not mounted in the build container`);
  };
  return { runner, map: { python, path } };
}

/** The image the build runs in, and the input that stands for it in the up-to-date check. */
async function builderImage(ctx: Context, def: LayerDefinition): Promise<{ image: string; imageId: string }> {
  const inImage = process.env.PREBAKE_LAYER_IMAGE;
  // pip only downloads wheels for the --platform/--python-version given, so one interpreter serves every
  // target version; locally that is the 3.11 image, in the aws profile the first version's image.
  if (inImage)
    return { image: `python-layer image (${inImage})`, imageId: `python-layer image (${inImage})` };
  const version = ctx.config.profile.kind === "local" ? LOCAL_IMAGE_VERSIONS[0]! : def.pythonVersions[0]!;
  const image = await resolveLayerImage(ctx, version);
  // The image's id, not its tag, goes into the inputs hash: a rebuilt image under the same tag is a new input.
  const imageId = await containerRuntime(ctx).imageId(image);
  if (!imageId) {
    throw new ConfigError(`the python-layer image ${image} is not in the engine`, {
      where: `images/${LAYER_IMAGE_NAME}`,
      fix: "build it with prebake build-image python-layer",
    });
  }
  return { image, imageId };
}

/** The previous build of this architecture, when its inputs equal these and the requirements are locked. */
async function upToDateBuild(
  def: LayerDefinition,
  stateFile: string,
  zipPath: string,
  inputs: string,
  force: boolean | undefined,
): Promise<BuiltLayer | undefined> {
  if (force || !def.hashedRequirements || !existsSync(stateFile) || !existsSync(zipPath)) return undefined;
  const previous = JSON.parse(await readFile(stateFile, "utf8")) as BuiltLayer;
  return previous.inputsHash === inputs ? previous : undefined;
}

interface ArchitectureJob {
  def: LayerDefinition;
  arch: Architecture;
  index: PipIndex;
  buildRoot: string;
  inputs: string;
  options: BuildOptions;
}

/** Install every Python version's distributions, add the layer's own code, slim, zip; record the build. */
async function buildArchitecture(ctx: Context, ws: Workspace, job: ArchitectureJob): Promise<BuiltLayer> {
  const { def, arch } = job;
  const started = Date.now();
  const layerName = publishedLayerName(def, arch);
  const workDir = join(job.buildRoot, arch);
  const stageDir = join(workDir, "stage");
  await rm(workDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  const distributions: ResolvedDistribution[] = [];
  let batches = 0;
  for (const version of def.pythonVersions) {
    const r = await installFor(ctx, ws, {
      def,
      arch,
      version,
      index: job.index,
      workDir,
      stageDir,
      options: job.options,
    });
    distributions.push(...r.distributions);
    batches += r.batches;
  }
  if (def.sourcePath) {
    // The layer's own packages go to python/ (every Python version imports them from there).
    const conflicts = await mergeTree(def.sourcePath, join(stageDir, "python"), sourceFileShown(def));
    if (conflicts.length > 0) {
      throw new BuildFailedError(
        `own source collides with an installed distribution: ${conflicts.slice(0, 3).join(", ")}`,
        { where: `${def.file}: source`, fix: "rename the package in the source folder" },
      );
    }
  }
  const slim: SlimResult = await slimDirectory(join(stageDir, "python"), def.slim);
  const zip = await deterministicZip(stageDir, join(job.buildRoot, `${layerName}.zip`));
  const built: BuiltLayer = {
    name: def.name,
    layerName,
    arch,
    pythonVersions: def.pythonVersions,
    zipPath: zip.path,
    sha256: zip.sha256,
    zippedBytes: zip.zippedBytes,
    unzippedBytes: zip.unzippedBytes,
    files: zip.files,
    slim: { beforeBytes: slim.beforeBytes, afterBytes: slim.afterBytes, removedPaths: slim.removed.length },
    distributions: distributions.map((d) => ({ name: d.name, version: d.version })),
    batches,
    upToDate: false,
    durationMs: Date.now() - started,
    inputsHash: job.inputs,
  };
  await writeJsonAtomic(join(workDir, "build.json"), built);
  ctx.out.success(
    `${layerName}: ${distributions.length} distributions in ${batches} pip batch(es), slimmed ${formatBytes(slim.beforeBytes)} -> ` +
      `${formatBytes(slim.afterBytes)} unzipped, zip ${formatBytes(zip.zippedBytes)}, sha256 ${zip.sha256.slice(0, 12)} (${formatDuration(built.durationMs)})`,
  );
  return built;
}

/** Build every architecture of a layer: install, add own sources, slim, zip. */
export async function buildLayer(
  ctx: Context,
  def: LayerDefinition,
  options: BuildOptions = {},
): Promise<BuiltLayer[]> {
  // A link out of the sources is refused before anything runs (no image resolved, no container).
  if (def.sourcePath) await listTree(def.sourcePath, sourceFileShown(def));
  // Only `index: local` reads the machine's pip configuration.
  const hostConfig = def.index === "local" ? await readHostPipConfig(ctx.config.rootDir) : undefined;
  const index = resolvePipIndex(def.index, `${def.file}: index`, () => hostConfig);
  const { image, imageId } = await builderImage(ctx, def);
  const buildRoot = layerBuildDir(ctx.config.rootDir, def.name);
  const results: BuiltLayer[] = [];
  let ws: Workspace | undefined;
  try {
    for (const arch of def.architectures) {
      const started = Date.now();
      const layerName = publishedLayerName(def, arch);
      const inputs = await inputsHash(def, arch, imageId, index);
      ctx.out.step(`layer ${def.name} (${arch}, ${def.pythonVersions.map((v) => `python${v}`).join(", ")})`);
      const stateFile = join(buildRoot, arch, "build.json");
      const previous = await upToDateBuild(
        def,
        stateFile,
        join(buildRoot, `${layerName}.zip`),
        inputs,
        options.force,
      );
      if (previous) {
        ctx.out.success(
          `${layerName}: up to date (inputs unchanged, locked requirements), sha256 ${previous.sha256.slice(0, 12)}`,
        );
        results.push({ ...previous, upToDate: true, durationMs: Date.now() - started });
        continue;
      }
      if (!ws) {
        ws = await openWorkspace(ctx, def, image, buildRoot, index);
        ctx.out.info(`building in ${ws.runner.description}; index: ${index.description}`);
      }
      results.push(await buildArchitecture(ctx, ws, { def, arch, index, buildRoot, inputs, options }));
    }
  } finally {
    await ws?.runner.close();
  }
  return results;
}

/** Remove a layer's build folder (benchmarks' cold runs). */
export async function cleanLayerBuild(rootDir: string, name: string): Promise<void> {
  await rm(layerBuildDir(rootDir, name), { recursive: true, force: true });
}
