/**
 * Where a layer build's commands run and its files are put together: the builder image, the runner
 * (this machine inside the python-layer image, else a long-lived python-layer container with the
 * layer, the build folder and local indexes mounted), and the merge of trees into the layer.
 */
import { constants } from "node:fs";
import { copyFile, mkdir, symlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { ConfigError, type Context, containerRuntime, listTree } from "@prebake/core";
import type { LayerDefinition } from "./definition.ts";
import { LAYER_IMAGE_NAME, LOCAL_IMAGE_VERSIONS, resolveLayerImage } from "./image.ts";
import type { PipIndex } from "./pip.ts";
import { type CommandRunner, ContainerRunner, HostRunner } from "./runner.ts";

/** Pip cache shared by local layer builds (a named volume), so a warm build downloads nothing. */
export const PIP_CACHE_VOLUME = "prebake-layer-pip-cache";

interface Mapping {
  /** Path of a host folder as the runner sees it. */
  path(host: string): string;
  python: string;
}

/** Where the build's commands run, and how host paths look there. */
export interface Workspace {
  runner: CommandRunner;
  map: Mapping;
}

/**
 * The runner for this build: this machine when prebake runs inside the python-layer image, else a
 * long-lived python-layer container with the layer, the build folder and local indexes mounted.
 */
export async function openWorkspace(
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
export async function builderImage(
  ctx: Context,
  def: LayerDefinition,
): Promise<{ image: string; imageId: string }> {
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
