import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import yazl from "yazl";

/**
 * Every entry gets the same timestamp and mode, so the zip depends only on file names and contents.
 * The DOS timestamp is built from *local* date parts (that is how zip stores it), so constructing it
 * from local parts gives the same bytes in every timezone; the UTC "UT" extra field is disabled
 * (forceDosTimestamp) because it would vary with the timezone otherwise.
 */
export const FIXED_MTIME = () => new Date(1980, 0, 1, 0, 0, 0);
export const FIXED_FILE_MODE = 0o100644;

export interface ZipResult {
  path: string;
  sha256: string;
  zippedBytes: number;
  unzippedBytes: number;
  files: number;
}

/** All regular files under root, as /-separated paths relative to root, sorted bytewise. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs, rel);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await lstat(abs)).isFile())) out.push(rel);
      else if (entry.isSymbolicLink()) out.push(rel); // resolved when read; a dangling link fails loudly
    }
  };
  await walk(root, "");
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Zip the contents of `root` (which holds python/...) deterministically: sorted entries, no
 * directory entries, fixed timestamps and permissions, fixed compression level.
 */
export async function deterministicZip(root: string, zipPath: string): Promise<ZipResult> {
  const files = await listFiles(root);
  const zip = new yazl.ZipFile();
  let unzippedBytes = 0;
  for (const rel of files) {
    const content = await readFile(join(root, rel));
    unzippedBytes += content.length;
    zip.addBuffer(content, rel, {
      mtime: FIXED_MTIME(),
      mode: FIXED_FILE_MODE,
      compress: true,
      compressionLevel: 9,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  await mkdir(dirname(zipPath), { recursive: true });
  const hash = createHash("sha256");
  let zippedBytes = 0;
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipPath);
    zip.outputStream.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      zippedBytes += chunk.length;
    });
    zip.outputStream.on("error", reject);
    out.on("error", reject);
    out.on("finish", resolve);
    zip.outputStream.pipe(out);
  });
  return { path: zipPath, sha256: hash.digest("hex"), zippedBytes, unzippedBytes, files: files.length };
}
