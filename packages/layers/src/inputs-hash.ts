/**
 * What a layer build's output depends on, as one hash: layer.yaml, the requirements, the layer's own
 * sources (a link by its target), the builder image's id and the index (without URL credentials).
 * Equal hashes and locked requirements mean the last build's zip is reused.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { listTree, readTreeFile, stripUrlCredentials } from "@prebake/core";
import type { LayerDefinition } from "./definition.ts";
import { indexArgs, type PipIndex } from "./pip.ts";
import type { Architecture } from "./runtimes.ts";

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
export const sourceFileShown = (def: LayerDefinition) => (path: string) =>
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
