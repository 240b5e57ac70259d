import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  type Context,
  distPaths,
  firstLine,
  followDockerStream,
  UnavailableError,
} from "@prebake/core";
import type Docker from "dockerode";
import { pack } from "tar-fs";
import { parse } from "yaml";

/** The python-layer image project (images/python-layer, pushed by the images package). */
export const LAYER_IMAGE_NAME = "python-layer";

/** Debian bookworm (the local base) packages Python 3.11 only; other versions exist only in the aws profile. */
export const LOCAL_IMAGE_VERSIONS = ["3.11"];

interface ImageYaml {
  repository?: string;
  base?: { local?: string; aws?: string };
  buildArgs?: Record<string, string>;
  versions?: Record<string, { base?: { local?: string; aws?: string }; buildArgs?: Record<string, string> }>;
}

function readImageYaml(rootDir: string): ImageYaml {
  const file = join(rootDir, "images", LAYER_IMAGE_NAME, "image.yaml");
  if (!existsSync(file)) {
    throw new ConfigError("the python-layer image definition is missing", {
      where: `images/${LAYER_IMAGE_NAME}/image.yaml`,
      fix: "restore images/python-layer from the repository",
    });
  }
  return (parse(readFileSync(file, "utf8")) ?? {}) as ImageYaml;
}

async function exists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Find the python-layer image for a Python version, in this order: PREBAKE_LAYER_IMAGE_REF (tests,
 * pinned CI), the pushed image from dist/images/python-layer-<v>.json (pulled when missing), a local
 * tag <repository>:<v>, and as a last resort a local build from images/python-layer (so a fresh
 * checkout can build layers before anyone ran `prebake push python-layer`).
 */
export async function resolveLayerImage(ctx: Context, version: string): Promise<string> {
  const docker = ctx.docker();
  const override = process.env.PREBAKE_LAYER_IMAGE_REF;
  if (override) return override;
  const { rootDir, profile } = ctx.config;
  const def = readImageYaml(rootDir);
  const repository = def.repository ?? `prebake/${LAYER_IMAGE_NAME}`;

  const manifestPath = distPaths.imageManifest(rootDir, LAYER_IMAGE_NAME, version);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { uri?: string };
    if (manifest.uri) {
      if (await exists(docker, manifest.uri)) return manifest.uri;
      try {
        ctx.out.progress("image", `pulling ${manifest.uri}`);
        const stream = await docker.pull(manifest.uri);
        await followDockerStream(docker, stream, () => undefined);
        return manifest.uri;
      } catch (err) {
        ctx.out.warn(`cannot pull ${manifest.uri} (${firstLine(err)}); looking for a local image`);
      }
    }
  }
  for (const ref of [
    `${repository}:${version}`,
    ...(profile.registry ? [`${profile.registry}/${repository}:${version}`] : []),
  ]) {
    if (await exists(docker, ref)) return ref;
  }
  if (profile.kind === "local" && !LOCAL_IMAGE_VERSIONS.includes(version)) {
    throw new ConfigError(
      `no python-layer image for Python ${version} in the local profile (Debian bookworm ships 3.11 only)`,
      {
        where: `images/${LAYER_IMAGE_NAME}`,
        fix: `use --profile aws for ${version}, or target 3.11 locally`,
      },
    );
  }
  return bootstrapLayerImage(ctx, def, repository, version);
}

async function bootstrapLayerImage(
  ctx: Context,
  def: ImageYaml,
  repository: string,
  version: string,
): Promise<string> {
  const docker = ctx.docker();
  const { rootDir, profile } = ctx.config;
  const base = def.versions?.[version]?.base?.[profile.kind] ?? def.base?.[profile.kind];
  const tag = `${repository}:${version}`;
  if (!base) {
    throw new ConfigError(`no ${profile.kind} base image`, {
      where: `images/${LAYER_IMAGE_NAME}/image.yaml: base.${profile.kind}`,
      fix: "set the base image for this profile",
    });
  }
  ctx.out.step(`python-layer ${version} image not found: building ${tag} from images/${LAYER_IMAGE_NAME}`);
  const buildargs: Record<string, string> = {
    ...(def.buildArgs ?? {}),
    ...(def.versions?.[version]?.buildArgs ?? {}),
    BASE_IMAGE: base,
  };
  const dir = join(rootDir, "images", LAYER_IMAGE_NAME);
  const context = pack(dir, {
    ignore: (name) => !/(Dockerfile|activate|\.whl)$/.test(name) && !/wheels$/.test(name),
  });
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context, {
      t: tag,
      buildargs,
      networkmode: "host",
      rm: true,
      forcerm: true,
    });
  } catch (err) {
    throw new UnavailableError(`cannot build ${tag} (${firstLine(err)})`, {
      where: "Docker engine",
      fix: "start the engine (bash scripts/local-env.sh up)",
      cause: err,
    });
  }
  await followDockerStream(docker, stream, (e) => {
    const line = e.stream?.trim();
    if (line?.startsWith("Step ")) ctx.out.progress("image", line);
    else if (line) ctx.out.debug(line);
  });
  return tag;
}
