import { ValidationError } from "@prebake/core";
import yauzl from "yauzl";

/** One file of a layer, as validation sees it: its path in the zip, its UNZIPPED size, and maybe its bytes. */
export interface LayerEntry {
  path: string;
  size: number;
  content?: Buffer;
  /** A symlink (its content is the target's path): validated through the file it names, not itself. */
  symlink?: true;
}

/**
 * Read a layer zip's entries (directories skipped). Contents are loaded only for the paths
 * `wantContent` selects (shared objects, WHEEL files), so a big layer is never held in memory whole.
 */
export function readZipEntries(
  zipPath: string,
  wantContent: (path: string) => boolean,
): Promise<LayerEntry[]> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) =>
      reject(
        new ValidationError(`not a readable zip (${err.message})`, {
          where: zipPath,
          fix: "rebuild the layer with prebake layer build",
          cause: err,
        }),
      );
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return fail(err ?? new Error("cannot open"));
      const entries: LayerEntry[] = [];
      zip.on("error", fail);
      zip.on("end", () => resolve(entries));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        const item: LayerEntry = { path: entry.fileName, size: entry.uncompressedSize };
        if (((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000) item.symlink = true;
        entries.push(item);
        if (!wantContent(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error("cannot read entry"));
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", fail);
          stream.on("end", () => {
            item.content = Buffer.concat(chunks);
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
