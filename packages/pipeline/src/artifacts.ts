/**
 * Pipeline artifacts as CodePipeline keeps them: one zip per artifact. An action's inputs are
 * unzipped for the build, its output folder is zipped (files at the zip's root, modes kept).
 * A symlink travels as a link both ways, never followed: zipping one that is absolute or leaves the
 * folder (`leak -> /etc/shadow`, kept by enable-symlinks: yes) is refused, and so is unzipping one,
 * so no host file reaches an artifact and no entry is written through a link.
 */
import { constants, createWriteStream } from "node:fs";
import { mkdir, open, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertLinksStayIn, ConfigError, firstLine, isPrebakeError, listTree } from "@prebake/core";
import yauzl from "yauzl";
import yazl from "yazl";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Zip the contents of `dir` into `file` (the folder's files at the zip's root); returns the file
 * count. `artifact` names the artifact in the error about a link that must not travel.
 */
export async function zipFolder(dir: string, file: string, artifact = file): Promise<number> {
  const files = await listTree(dir, (path) => `artifact ${artifact}: ${path}`);
  const zip = new yazl.ZipFile();
  const failed = new Promise<never>((_, reject) => zip.on("error", reject));
  failed.catch(() => undefined);
  const writing = pipeline(zip.outputStream, createWriteStream(file));
  for (const entry of files) {
    if (entry.type === "symlink") {
      zip.addBuffer(Buffer.from(entry.target!), entry.path, { mode: S_IFLNK | 0o777 });
      continue;
    }
    // Opened when yazl gets to it (one file open at a time), without following a link: a file
    // swapped for a link since the listing fails instead of reading the link's target.
    zip.addReadStreamLazy(entry.path, { mode: 0o100000 | entry.mode }, (done) => {
      open(join(dir, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW).then(
        (handle) => done(null, handle.createReadStream()),
        (err: Error) => done(err, undefined as never),
      );
    });
  }
  zip.end();
  await Promise.race([writing, failed]);
  return files.length;
}

/** A zip's entries, one at a time (yauzl refuses absolute paths and `..` in names itself). */
async function* zipEntries(
  file: string,
): AsyncGenerator<{ entry: yauzl.Entry; read: () => Promise<Readable> }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) =>
      err || !z ? reject(err ?? new Error("cannot open")) : resolve(z),
    ),
  );
  try {
    for (;;) {
      const next = new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => done(() => resolve(e));
        const onEnd = () => done(() => resolve(undefined));
        const onError = (err: Error) => done(() => reject(err));
        const done = (then: () => void) => {
          zip.off("entry", onEntry).off("end", onEnd).off("error", onError);
          then();
        };
        zip.on("entry", onEntry).on("end", onEnd).on("error", onError);
      });
      zip.readEntry();
      const entry = await next;
      if (!entry) return;
      yield {
        entry,
        read: () =>
          new Promise((resolve, reject) =>
            zip.openReadStream(entry, (err, stream) =>
              err || !stream ? reject(err ?? new Error("cannot read entry")) : resolve(stream),
            ),
          ),
      };
    }
  } finally {
    zip.close();
  }
}

const readAll = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/**
 * Unzip an artifact into `dir` (a new, empty folder), keeping the files' modes (an executable stays
 * executable, as CodeBuild's source download does). Links are made last, once every file is
 * written, so no entry is ever written through a link an earlier entry made; each file is created
 * exclusively (a duplicate name is refused, not overwritten).
 */
export async function unzipTo(file: string, dir: string, artifact: string): Promise<void> {
  const links = new Map<string, string>();
  const names: string[] = [];
  try {
    for await (const { entry, read } of zipEntries(file)) {
      const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
      const name = entry.fileName.replace(/\/$/, "");
      names.push(name);
      if (entry.fileName.endsWith("/") || (mode & S_IFMT) === S_IFDIR) {
        await mkdir(join(dir, name), { recursive: true });
      } else if ((mode & S_IFMT) === S_IFLNK) {
        links.set(name, await readAll(await read()));
      } else {
        await mkdir(dirname(join(dir, name)), { recursive: true });
        const out = createWriteStream(join(dir, name), { flags: "wx", mode: mode & 0o777 || 0o644 });
        await pipeline(await read(), out);
      }
    }
  } catch (err) {
    throw new ConfigError(`artifact '${artifact}' is not a readable zip (${firstLine(err)})`, {
      where: file,
      fix: "run the pipeline again from its first stage",
      cause: err,
    });
  }
  assertLinksStayIn(links, (path) => `artifact ${artifact}: ${path}`);
  // An entry under a link's name would have gone through the link once it exists.
  for (const path of names) {
    const under = [...links.keys()].find((link) => path.startsWith(`${link}/`));
    if (under)
      throw new ConfigError(`entry ${path} lies under the symlink ${under}`, {
        where: `artifact ${artifact}`,
        fix: "run the pipeline again from its first stage",
      });
  }
  for (const [path, target] of links) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    try {
      await symlink(target, join(dir, path));
    } catch (err) {
      if (isPrebakeError(err)) throw err;
      throw new ConfigError(`symlink ${path} cannot be made (${firstLine(err)})`, {
        where: `artifact ${artifact}`,
        fix: "run the pipeline again from its first stage",
        cause: err,
      });
    }
  }
}
