import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

export const CONFIG_FILE_NAME = "prebake.config.yaml";

/**
 * The repository root: the nearest folder upwards that holds prebake.config.yaml or nx.json.
 * Falls back to the start folder so prebake also works in a folder with no config (embedded defaults).
 */
export function findRepoRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE_NAME)) || existsSync(join(dir, "nx.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/** Where generated manifests live; other steps read them (stack render reads image manifests). */
export const distPaths = {
  imageManifest: (root: string, name: string, version: string) =>
    join(root, "dist", "images", `${name}-${version}.json`),
  imagesDir: (root: string) => join(root, "dist", "images"),
  stackOutputs: (root: string, stack: string) => join(root, "dist", "stacks", `${stack}.json`),
  layerManifest: (root: string, layer: string) => join(root, "dist", "layers", `${layer}.json`),
};

/**
 * Write a file so that readers see either the old or the new content, never half of it:
 * write a sibling temp file, then rename over the target (atomic on one filesystem).
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
