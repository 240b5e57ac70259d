/**
 * A layer's build: per architecture, the up-to-date check (inputs-hash.ts), then pip for every
 * Python version (pip-install.ts) in the workspace (workspace.ts), the layer's own code merged in,
 * slimmed, zipped deterministically and recorded in dist/layers/<name>/<arch>/build.json.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  BuildFailedError,
  type Context,
  distPaths,
  formatBytes,
  formatDuration,
  listTree,
  ValidationError,
  writeJsonAtomic,
} from "@prebake/core";
import { type LayerDefinition, publishedLayerName } from "./definition.ts";
import { inputsHash, sourceFileShown } from "./inputs-hash.ts";
import {
  indexSecrets,
  type PipIndex,
  type ResolvedDistribution,
  readHostPipConfig,
  resolvePipIndex,
} from "./pip.ts";
import { installFor } from "./pip-install.ts";
import type { Architecture } from "./runtimes.ts";
import { type SlimResult, slimDirectory } from "./slim.ts";
import { builderImage, mergeTree, openWorkspace, type Workspace } from "./workspace.ts";
import { deterministicZip } from "./zip.ts";

export interface BuildOptions {
  /** Rebuild even when the inputs equal the last build's. */
  force?: boolean;
  /** Print every pip line (pip -v). */
  debug?: boolean;
  /** Command-line budget per pip batch (bytes); tests lower it to force several batches. */
  maxArgBytes?: number;
  /** Refuse (exit 4) requirements without hashes instead of warning. */
  strict?: boolean;
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

/**
 * Requirements without hashes are not pinned to bytes: the index decides what a name and version
 * mean at every build. A warning; with --strict, a refusal (exit 4) before anything runs.
 */
export function checkRequirementHashes(ctx: Context, def: LayerDefinition, strict: boolean): void {
  if (def.hashedRequirements) return;
  const what = `requirements ${relative(def.dir, def.requirementsPath)} carry no --hash for every requirement, so the index decides which files they mean`;
  const fix = "lock them with hashes (pip-compile --generate-hashes, or uv pip compile --generate-hashes)";
  if (strict) throw new ValidationError(what, { where: `${def.file}: requirements`, fix });
  ctx.out.warn(`${def.file}: ${what} (fix: ${fix}; --strict refuses them)`);
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
  for (const secret of indexSecrets(index)) ctx.out.addSecret(secret);
  checkRequirementHashes(ctx, def, options.strict ?? false);
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
