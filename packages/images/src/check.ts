import { ConfigError, type ContainerRuntime, type Context, firstLine, UnavailableError } from "@prebake/core";
import { startThrowawayEngine } from "./check-engine.ts";
import {
  CHECKED_TOOLS,
  type CheckedTool,
  findOnPath,
  formatPlatform,
  indexEntries,
  type LambdaComputeVerdict,
  lambdaComputeVerdict,
  pathDirs,
} from "./check-facts.ts";
import { imagesDir, loadImageDefinition, resolveVersion } from "./definition.ts";
import { manifestSize } from "./registry.ts";
import { type PushedImage, resolvePushedImage } from "./resolve.ts";
import { engineReference, type RegistryTarget, resolveRegistry } from "./target.ts";

/** What `prebake images check` reports about a pushed image. */
export interface ImageCheck {
  name: string;
  version: string;
  uri: string;
  /** os/architecture[/variant] of every image the pushed manifest covers. */
  platforms: string[];
  singleArchitecture: boolean;
  /** Where each tool resolves on the image's PATH; undefined when absent. */
  tools: Record<CheckedTool, string | undefined>;
  /** Bytes a pull transfers (config and layers, as the registry stores them). */
  compressedBytes: number;
  /** The unpacked image in the engine. */
  uncompressedBytes: number;
  /** Pull (download and unpack) into an engine with no layer cached: the stand-in for PROVISIONING. */
  emptyEnginePullMs: number;
  lambdaCompute: LambdaComputeVerdict;
}

export interface ImageCheckOptions {
  version?: string;
  /** Where the throw-away engine keeps its data (default: the OS temp folder); it needs the image's size. */
  workDir?: string;
}

/** The platforms and compressed size from the registry; for an index, the size of the definition's platform. */
async function registryFacts(target: RegistryTarget, pushed: PushedImage, platform: string) {
  const stored = await target.api.getManifest(pushed.repository, pushed.digest);
  const entries = indexEntries(stored);
  if (!entries) return { platforms: undefined, compressedBytes: manifestSize(stored) };
  // linux/arm64 in image.yaml is linux/arm64/v8 in an index.
  const mine =
    entries.find((e) => e.platform === platform || e.platform.startsWith(`${platform}/`)) ?? entries[0];
  const child = mine ? await target.api.getManifest(pushed.repository, mine.digest) : stored;
  return { platforms: entries.map((e) => e.platform), compressedBytes: manifestSize(child) };
}

/** Look the tools up in a container of the image that never starts (so an image without a shell works too). */
async function findTools(runtime: ContainerRuntime, image: string, env: string[] | undefined) {
  const container = await runtime.create({
    image,
    namePrefix: "prebake-image-check",
    cmd: ["sh"],
    networkMode: "none",
    labels: { "prebake.role": "image-check" },
  });
  try {
    const dirs = pathDirs(env);
    const tools = {} as Record<CheckedTool, string | undefined>;
    for (const tool of CHECKED_TOOLS)
      tools[tool] = await findOnPath(tool, dirs, (p) => container.statPath(p));
    return tools;
  } finally {
    await container.remove();
  }
}

/** Pull the image into a throw-away engine (timed), then read its size, platform and tools there. */
async function inspectInEmptyEngine(
  ctx: Context,
  pushed: PushedImage,
  target: RegistryTarget,
  workDir?: string,
) {
  ctx.out.progress("engine", "starting a throw-away Docker engine (empty: no layer cached)");
  const engine = await startThrowawayEngine(ctx, {
    workDir,
    insecureRegistry: ctx.config.profile.kind === "local" ? target.address : undefined,
  });
  try {
    const { runtime } = engine;
    // The registry's address on this machine (ecrRegistry maps ECR's host), with the profile's credentials.
    const { reference, auth } = engineReference(target, pushed.uri);
    ctx.out.progress("pull", `pulling ${reference} into the empty engine`);
    const started = performance.now();
    try {
      await runtime.pullImage(reference, {
        ...(auth ? { auth } : {}),
        onEvent: (e) => e.status && ctx.out.progress("pull", `${e.id ? `${e.id}: ` : ""}${e.status}`),
      });
    } catch (err) {
      throw new UnavailableError(
        `pulling ${reference} into the throw-away engine failed (${firstLine(err)})`,
        {
          where: `registry ${target.address}`,
          fix: "check that the registry answers and holds the image (prebake push), then run again",
          cause: err,
        },
      );
    }
    const emptyEnginePullMs = Math.round(performance.now() - started);
    const info = await runtime.call(`inspecting ${reference}`, () =>
      runtime.docker.getImage(reference).inspect(),
    );
    const tools = await findTools(runtime, reference, info.Config?.Env);
    const platform = formatPlatform({
      os: info.Os,
      architecture: info.Architecture,
      variant: (info as { Variant?: string }).Variant,
    });
    return { emptyEnginePullMs, uncompressedBytes: info.Size, platform, tools };
  } finally {
    await engine.stop();
  }
}

/** `prebake images check <name>`: the facts about a pushed image that decide its PROVISIONING time and Lambda compute. */
export async function checkImage(
  ctx: Context,
  name: string,
  options: ImageCheckOptions = {},
): Promise<ImageCheck> {
  const def = loadImageDefinition(imagesDir(ctx.config.rootDir), name);
  const version = resolveVersion(def, ctx.config.profile.kind, options.version);
  const pushed = await resolvePushedImage(ctx, name, version);
  if (!pushed) {
    throw new ConfigError(`${name} ${version} was never pushed from this checkout (no dist/images record)`, {
      where: `images/${name}`,
      fix: `push it first: prebake push ${name}${options.version ? ` --version ${version}` : ""}`,
    });
  }
  const target = await resolveRegistry(ctx);
  const registry = await registryFacts(target, pushed, def.platform);
  const engine = await inspectInEmptyEngine(ctx, pushed, target, options.workDir);
  const platforms = registry.platforms ?? [engine.platform];
  return {
    name,
    version,
    uri: pushed.uri,
    platforms,
    singleArchitecture: platforms.length === 1,
    tools: engine.tools,
    compressedBytes: registry.compressedBytes,
    uncompressedBytes: engine.uncompressedBytes,
    emptyEnginePullMs: engine.emptyEnginePullMs,
    lambdaCompute: lambdaComputeVerdict(platforms, engine.tools),
  };
}
