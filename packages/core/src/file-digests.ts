/**
 * Digests of large files, remembered by the file's stamp. An image's build context may hold tens of
 * megabytes that never change between runs (python-layer's Node tarball is 52 MB): hashing it for
 * the content hash and again for its pinned integrity took about 0.3 s of CPU in every no-op, on
 * the batch's one event loop. The stamp is what git's index trusts for the same question: size,
 * mtime, ctime and inode. ctime cannot be set back by `touch -d` or an archive tool, so any write
 * changes the stamp.
 *
 * A digest is remembered only for a file last changed well before it was read ("racy" files, as git
 * calls them: a write within the same timestamp tick after the read would keep the stamp).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { statePaths, writeJsonAtomic } from "./paths.ts";

/** Smaller files are hashed every time: reading them costs less than keeping their entries. */
export const REMEMBERED_DIGEST_MIN_BYTES = 1024 * 1024;
/** A file changed less than this long before it was read is hashed again next time. */
const RACY_MS = 2000;

type Algorithm = "sha256" | "sha512";
type Encoding = "hex" | "base64";

interface Entry {
  stamp: string;
  digest: string;
}

/** The remembered digests of one repository (<rootDir>/.prebake/file-digests.json). */
export class FileDigests {
  private entries: Record<string, Entry> | undefined;
  private changed = false;

  readonly file: string;
  private readonly racyMs: number;

  constructor(file: string, options: { racyMs?: number } = {}) {
    this.file = file;
    this.racyMs = options.racyMs ?? RACY_MS;
  }

  static of(rootDir: string): FileDigests {
    const file = statePaths.fileDigests(rootDir);
    const known = open.get(file);
    if (known) return known;
    const digests = new FileDigests(file);
    open.set(file, digests);
    return digests;
  }

  /** The digest of the file at `path` (absolute), from memory when its stamp is unchanged. */
  digest(path: string, algorithm: Algorithm, encoding: Encoding): string {
    const before = statSync(path, { bigint: true });
    if (before.size < REMEMBERED_DIGEST_MIN_BYTES) return hashOf(readFileSync(path), algorithm, encoding);
    const entries = this.load();
    const key = keyOf(algorithm, encoding, path);
    const stamp = stampOf(before);
    const known = entries[key];
    if (known?.stamp === stamp) return known.digest;
    const readAt = Date.now();
    const digest = hashOf(readFileSync(path), algorithm, encoding);
    const after = statSync(path, { bigint: true });
    // ctime: every write moves it, and a chmod too (mtime alone can be set back).
    const settled = stampOf(after) === stamp && readAt - Number(after.ctimeMs) > this.racyMs;
    if (settled) {
      entries[key] = { stamp, digest };
      this.changed = true;
    } else if (known) {
      delete entries[key];
      this.changed = true;
    }
    return digest;
  }

  /**
   * Write what was learnt since the last save (a cache: a lost race costs one more hash, no more).
   * Entries of files that are gone (a moved checkout, a removed image) are dropped then.
   */
  async save(): Promise<void> {
    if (!this.changed || !this.entries) return;
    this.changed = false;
    for (const key of Object.keys(this.entries)) {
      if (!existsSync(pathOf(key))) delete this.entries[key];
    }
    await writeJsonAtomic(this.file, this.entries);
  }

  private load(): Record<string, Entry> {
    if (this.entries) return this.entries;
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, "utf8"));
      this.entries = parsed && typeof parsed === "object" ? (parsed as Record<string, Entry>) : {};
    } catch {
      this.entries = {};
    }
    return this.entries;
  }
}

/** One instance per memo file in a process: a batch's images share what each learnt. */
const open = new Map<string, FileDigests>();

const keyOf = (algorithm: Algorithm, encoding: Encoding, path: string) => `${algorithm}:${encoding}:${path}`;
const pathOf = (key: string) => key.split(":").slice(2).join(":");

const stampOf = (s: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }) =>
  `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;

const hashOf = (data: Uint8Array, algorithm: Algorithm, encoding: Encoding) =>
  createHash(algorithm).update(data).digest(encoding);
