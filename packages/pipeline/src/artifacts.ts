/**
 * Pipeline artifacts as CodePipeline keeps them: one zip per artifact. An action's inputs are
 * unzipped for the build, its output folder is zipped (files at the zip's root, modes kept).
 */
import { createWriteStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ConfigError, firstLine } from "@prebake/core";
import extract from "extract-zip";
import yazl from "yazl";

/** Every file under `dir` (symlinks followed to files), as /-separated paths, sorted. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Zip the contents of `dir` into `file` (the folder's files at the zip's root); returns the file count. */
export async function zipFolder(dir: string, file: string): Promise<number> {
  const zip = new yazl.ZipFile();
  const files = await filesUnder(dir);
  for (const rel of files) {
    const path = join(dir, rel);
    const { mode } = await lstat(path);
    zip.addFile(path, rel, { mode });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return files.length;
}

/**
 * Unzip an artifact into `dir`. extract-zip refuses entries that would land outside `dir` and
 * keeps the files' modes (an executable stays executable, as CodeBuild's source download does).
 */
export async function unzipTo(file: string, dir: string, artifact: string): Promise<void> {
  try {
    await extract(file, { dir });
  } catch (err) {
    throw new ConfigError(`artifact '${artifact}' is not a readable zip (${firstLine(err)})`, {
      where: file,
      fix: "run the pipeline again from its first stage",
      cause: err,
    });
  }
}
