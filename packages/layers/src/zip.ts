import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { listTree, readTreeFile } from "@prebake/core";
import yazl from "yazl";

/**
 * Every entry gets the same timestamp and mode, so the zip depends only on file names and contents.
 * The DOS timestamp is built from *local* date parts (that is how zip stores it), so constructing it
 * from local parts gives the same bytes in every timezone; the UTC "UT" extra field is disabled
 * (forceDosTimestamp) because it would vary with the timezone otherwise.
 */
export const FIXED_MTIME = () => new Date(1980, 0, 1, 0, 0, 0);
export const FIXED_FILE_MODE = 0o100644;
/** A symlink's entry: the link itself (its target as the content), never the file it points at. */
export const FIXED_LINK_MODE = 0o120777;

export interface ZipResult {
  path: string;
  sha256: string;
  zippedBytes: number;
  unzippedBytes: number;
  files: number;
}

/** All files and symlinks under root, as /-separated paths relative to root, sorted bytewise. */
export async function listFiles(root: string): Promise<string[]> {
  return (await listTree(root)).map((f) => f.path);
}

/**
 * Zip the contents of `root` (which holds python/...) deterministically: sorted entries, no
 * directory entries, fixed timestamps and permissions, fixed compression level. A symlink goes in
 * as a link (one that is absolute or leaves `root` is refused, named by `shown`), never followed.
 */
export async function deterministicZip(
  root: string,
  zipPath: string,
  shown?: (path: string) => string,
): Promise<ZipResult> {
  const files = await listTree(root, shown);
  const zip = new yazl.ZipFile();
  let unzippedBytes = 0;
  for (const file of files) {
    const link = file.type === "symlink";
    const content = link ? Buffer.from(file.target!) : await readTreeFile(root, file.path);
    unzippedBytes += content.length;
    zip.addBuffer(content, file.path, {
      mtime: FIXED_MTIME(),
      mode: link ? FIXED_LINK_MODE : FIXED_FILE_MODE,
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
