import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
// A CommonJS module whose types declare `export default`: under Node ESM the callable is `.default`.
import dockerignore from "@balena/dockerignore";
import type { FileDigests } from "@prebake/core";
import tar from "tar-fs";

/**
 * The build context exactly as the engine receives it: the files `.dockerignore` lets through
 * (with Docker's own pattern semantics, via @balena/dockerignore). The same list is hashed and
 * tarred, so the content hash always describes what was really sent.
 */
export interface ContextFile {
  /** Relative, "/"-separated, as inside the tar. */
  path: string;
  type: "file" | "symlink";
  /** Permission bits (mode & 0o7777): they end up in the image, so they are part of the identity. */
  mode: number;
  /** sha256 of the content (file) or of the link target (symlink). */
  sha256: string;
}

function readIgnorePatterns(dir: string): string[] {
  const file = join(dir, ".dockerignore");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

/**
 * The context's files with their hashes. `digests` remembers a large file's hash by its stamp
 * (a no-op's context is unchanged, and python-layer's holds 52 MB); without it every file is read.
 */
export function listContextFiles(
  dir: string,
  dockerfile = "Dockerfile",
  digests?: FileDigests,
): ContextFile[] {
  const patterns = readIgnorePatterns(dir);
  const ig = dockerignore.default().add(patterns);
  // With a negation ("!keep/me") an excluded folder may still contribute files, so only prune
  // whole folders when there is none.
  const canPrune = !patterns.some((p) => p.startsWith("!"));
  // The engine always receives the Dockerfile and .dockerignore, whatever the patterns say.
  const always = new Set([dockerfile, ".dockerignore"]);
  const files: ContextFile[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = join(dir, path);
      if (entry.isDirectory()) {
        if (canPrune && ig.ignores(path)) continue;
        walk(path);
        continue;
      }
      if (!always.has(path) && ig.ignores(path)) continue;
      const st = lstatSync(abs);
      if (entry.isSymbolicLink()) {
        const target = readlinkSync(abs);
        files.push({ path, type: "symlink", mode: st.mode & 0o7777, sha256: sha256(target) });
      } else if (entry.isFile()) {
        const hash = digests ? digests.digest(abs, "sha256", "hex") : sha256(readFileSync(abs));
        files.push({ path, type: "file", mode: st.mode & 0o7777, sha256: hash });
      }
      // Sockets, FIFOs and devices cannot be sent to the engine; they are left out as docker does.
    }
  };
  walk("");
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Tar exactly the listed files. Timestamps and owners are normalised so that the classic
 * builder's COPY cache depends on content and modes only (a fresh clone hits the same cache).
 */
export function packContext(dir: string, files: ContextFile[]): Readable {
  return tar.pack(dir, {
    entries: files.map((f) => f.path),
    map: (header) => ({ ...header, mtime: new Date(0), uid: 0, gid: 0 }),
  }) as unknown as Readable;
}
