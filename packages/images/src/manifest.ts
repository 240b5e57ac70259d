import { existsSync, readFileSync } from "node:fs";
import { distPaths, firstLine, writeJsonAtomic } from "@prebake/core";
import { z } from "zod";

/**
 * dist/images/<name>-<version>.json: what a push records. Only this package reads it; everyone
 * else asks `resolvePushedImage`, which confirms it against the registry first.
 */
const imageManifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  repository: z.string().min(1),
  registry: z.string().min(1),
  tags: z.array(z.string()),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 hex digits>"),
  /** `<registry>/<repository>@sha256:...`: pinned by digest, so a moved tag never changes a stack. */
  uri: z.string().min(1),
  contentHash: z.string(),
  /** Compressed bytes a pull transfers (config + layers), what CodeBuild's PROVISIONING pays for. */
  sizeBytes: z.number(),
  pushedAt: z.string(),
});

export type ImageManifest = z.infer<typeof imageManifestSchema>;

export function manifestPath(rootDir: string, name: string, version: string): string {
  return distPaths.imageManifest(rootDir, name, version);
}

export async function writeImageManifest(rootDir: string, manifest: ImageManifest): Promise<string> {
  const path = manifestPath(rootDir, manifest.name, manifest.version);
  await writeJsonAtomic(path, manifest);
  return path;
}

export type ManifestRead =
  | { state: "missing" }
  | { state: "invalid"; reason: string }
  | { state: "ok"; manifest: ImageManifest };

/** The manifest, or why there is none: never pushed from this checkout, or unreadable. */
export function readManifestFile(rootDir: string, name: string, version: string): ManifestRead {
  const path = manifestPath(rootDir, name, version);
  if (!existsSync(path)) return { state: "missing" };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    return { state: "invalid", reason: `not JSON (${firstLine(err)})` };
  }
  const parsed = imageManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { state: "invalid", reason: `${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  return { state: "ok", manifest: parsed.data };
}

/** Lenient: what the last push recorded, for the push itself and `prebake images` (never for a deploy). */
export function readImageManifest(rootDir: string, name: string, version: string): ImageManifest | undefined {
  const read = readManifestFile(rootDir, name, version);
  return read.state === "ok" ? read.manifest : undefined; // a broken manifest is rewritten by the next push
}
