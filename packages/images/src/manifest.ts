import { existsSync, readFileSync } from "node:fs";
import { distPaths, writeJsonAtomic } from "@prebake/core";

/** dist/images/<name>-<version>.json: what stack render reads (`uri` becomes CodeBuildImage). */
export interface ImageManifest {
  name: string;
  version: string;
  repository: string;
  registry: string;
  tags: string[];
  digest: string;
  /** `<registry>/<repository>@sha256:...`: pinned by digest, so a moved tag never changes a stack. */
  uri: string;
  contentHash: string;
  /** Compressed bytes a pull transfers (config + layers), what CodeBuild's PROVISIONING pays for. */
  sizeBytes: number;
  pushedAt: string;
}

export function manifestPath(rootDir: string, name: string, version: string): string {
  return distPaths.imageManifest(rootDir, name, version);
}

export async function writeImageManifest(rootDir: string, manifest: ImageManifest): Promise<string> {
  const path = manifestPath(rootDir, manifest.name, manifest.version);
  await writeJsonAtomic(path, manifest);
  return path;
}

export function readImageManifest(rootDir: string, name: string, version: string): ImageManifest | undefined {
  const path = manifestPath(rootDir, name, version);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ImageManifest;
  } catch {
    return undefined; // a broken manifest is rewritten by the next push
  }
}
