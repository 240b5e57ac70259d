import {
  type Context,
  distPaths,
  folderLock,
  formatBytes,
  formatDuration,
  type LayerRun,
  type LayerRunItem,
  ValidationError,
  withLock,
} from "@prebake/core";
import { type BuildOptions, type BuiltLayer, buildLayer } from "./build.ts";
import { type LayerDefinition, loadLayerDefinition, mbToBytes } from "./definition.ts";
import { LOCAL_IMAGE_VERSIONS } from "./image.ts";
import { type PublishedLayer, type PublishOptions, publishedVersionOf, publishLayer } from "./publish.ts";
import type { Architecture } from "./runtimes.ts";
import { type SmokeResult, smokeTestLayer } from "./smoke.ts";
import {
  needsContent,
  type ValidationReport,
  type ValidationTarget,
  validateLayerEntries,
} from "./validate.ts";
import { readZipEntries } from "./zip-read.ts";

/** The validation target a definition implies: its versions, the architecture, its size budget. */
export function targetFor(def: LayerDefinition, arch: Architecture): ValidationTarget {
  const others =
    def.budget.otherLayers.reduce((n, l) => n + mbToBytes(l.sizeMB), 0) +
    mbToBytes(def.budget.functionCodeMB);
  const parts = [
    ...def.budget.otherLayers.map((l) => l.name),
    ...(def.budget.functionCodeMB > 0 ? ["function code"] : []),
  ];
  return {
    pythonVersions: def.pythonVersions,
    arch,
    otherBytes: others,
    otherDescription: parts.length > 0 ? `(${parts.join(", ")})` : undefined,
    warnAtPercent: def.budget.warnAtPercent,
  };
}

/**
 * Validate a layer zip; every problem is printed, and the first one becomes the ValidationError
 * (exit 4) naming the file and what it needs versus what the runtime has.
 */
export async function validateLayerZip(
  ctx: Context,
  zipPath: string,
  target: ValidationTarget,
): Promise<ValidationReport> {
  const entries = await readZipEntries(zipPath, needsContent);
  const report = validateLayerEntries(entries, target);
  for (const w of report.warnings) ctx.out.warn(w);
  if (report.errors.length > 0) {
    for (const e of report.errors) ctx.out.error(e);
    const more =
      report.errors.length > 1 ? ` (and ${report.errors.length - 1} more problem(s) listed above)` : "";
    throw new ValidationError(`${report.errors[0]}${more}`, {
      where: zipPath,
      fix: "install wheels built for the target (prebake layer build does), or change pythonVersions/architectures",
    });
  }
  ctx.out.success(
    `valid for ${target.pythonVersions.map((v) => `python${v}`).join(", ")} ${target.arch}: ${report.files} files, ` +
      `${formatBytes(report.unzippedBytes)} unzipped, ${report.sharedObjects.length} shared object(s) checked`,
  );
  return report;
}

export interface LayerRelease {
  build: BuiltLayer;
  validation: ValidationReport;
  smoke: SmokeResult[];
  publish?: PublishedLayer;
}

/** What happened to a layer zip, in the result's one word (core's LayerRunItem["action"]). */
function actionOf(r: LayerRelease): LayerRunItem["action"] {
  if (r.publish) return r.publish.published ? "published" : "unchanged";
  return r.build.upToDate ? "up to date" : "built";
}

/** One layer zip in the --json result: core's layer run item, and the build's details. */
export interface LayerResultItem extends LayerRunItem {
  layerName: string;
  arch: Architecture;
  pythonVersions: string[];
  zip: string;
  sha256: string;
  slim: BuiltLayer["slim"];
  upToDate: boolean;
  distributions: BuiltLayer["distributions"];
  warnings: string[];
  published?: boolean;
  version?: number;
  updatedFunctions?: string[];
}

/** The --json result of `prebake layer build|publish` (core's layer run): one item per zip. */
export interface LayerResult extends LayerRun {
  layers: LayerResultItem[];
}

export function layerRunResult(command: string, results: LayerRelease[]): LayerResult {
  return {
    kind: "layer",
    command,
    layers: results.map((r) => ({
      name: r.build.name,
      action: actionOf(r),
      durationMs: r.build.durationMs,
      layerName: r.build.layerName,
      arch: r.build.arch,
      pythonVersions: r.build.pythonVersions,
      zip: r.build.zipPath,
      sha256: r.build.sha256,
      zippedBytes: r.build.zippedBytes,
      unzippedBytes: r.build.unzippedBytes,
      slim: r.build.slim,
      upToDate: r.build.upToDate,
      distributions: r.build.distributions,
      warnings: r.validation.warnings,
      imports: r.smoke.flatMap((s) =>
        s.timings.map((t) => ({ python: s.version, module: t.module, ms: Math.round(t.ms) })),
      ),
      ...(r.publish
        ? {
            published: r.publish.published,
            layerVersionArn: r.publish.layerVersionArn,
            version: r.publish.version,
            updatedFunctions: r.publish.updatedFunctions,
          }
        : {}),
    })),
  };
}

export interface ReleaseOptions extends BuildOptions, PublishOptions {
  publish: boolean;
  smokeTest: boolean;
  /** A cold import over budget.coldStartMs fails (exit 4) instead of warning. */
  strict?: boolean;
}

/** build -> validate -> import smoke test -> (publish): the whole of `prebake layer build|publish`. */
export async function releaseLayer(
  ctx: Context,
  name: string,
  options: ReleaseOptions,
): Promise<LayerRelease[]> {
  const def = loadLayerDefinition(ctx.config.rootDir, name);
  // One build of a layer at a time per checkout, from its build to its publish: a second one would
  // rebuild stage/ and the zip under this one while it zips, validates or publishes them.
  const buildDir = distPaths.layerBuildDir(ctx.config.rootDir, def.name);
  return withLock(
    folderLock(buildDir),
    `prebake layer ${options.publish ? "publish" : "build"} ${def.name}`,
    () => releaseLocked(ctx, def, options),
    {
      onWait: (holder) =>
        ctx.out.info(
          `waiting for the build of ${def.name} that holds its folder (pid ${holder.pid}, since ${holder.since})`,
        ),
    },
  );
}

async function releaseLocked(
  ctx: Context,
  def: LayerDefinition,
  options: ReleaseOptions,
): Promise<LayerRelease[]> {
  const builds = await buildLayer(ctx, def, options);
  const results: LayerRelease[] = [];
  for (const build of builds) {
    const validation = await validateLayerZip(ctx, build.zipPath, targetFor(def, build.arch));
    const smoke: SmokeResult[] = [];
    // This exact zip was import-tested before it was published: a no-op publish needs no container.
    const published =
      options.publish && options.smokeTest && !options.force && (await publishedVersionOf(ctx, build));
    if (published) {
      ctx.out.info(`import smoke test: not needed, this zip is published as version ${published.Version}`);
    } else if (options.smokeTest && !process.env.PREBAKE_LAYER_IMAGE) {
      for (const version of def.pythonVersions) {
        if (ctx.config.profile.kind === "local" && !LOCAL_IMAGE_VERSIONS.includes(version)) {
          ctx.out.warn(
            `python${version}: no local image to import-test in (Debian packages ${LOCAL_IMAGE_VERSIONS.join(" and ")} only); validated statically`,
          );
          continue;
        }
        const modules = [...new Set(Object.values(validation.topLevel).flat())];
        const res = await smokeTestLayer(ctx, build.zipPath, version, build.arch, modules, {
          coldStartMs: def.budget.coldStartMs,
          file: def.file,
          strict: options.strict ?? false,
        });
        ctx.out.table(
          ["module", `import time (python${version}, cold)`],
          res.timings.map((t) => [t.module, formatDuration(t.ms)]),
        );
        smoke.push(res);
      }
    } else if (options.smokeTest) {
      ctx.out.info(
        "inside the python-layer image: import smoke test runs where a Docker engine is available",
      );
    }
    results.push({ build, validation, smoke });
  }
  if (options.publish) {
    const published = await publishLayer(ctx, def, builds, options);
    published.forEach((p, i) => {
      results[i]!.publish = p;
    });
  }
  return results;
}
