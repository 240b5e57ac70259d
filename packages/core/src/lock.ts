/**
 * One holder at a time for a folder two prebake runs must not share (a pipeline's artifacts, a
 * layer's build folder): a lock file, created exclusively, that names its holder (pid, the process's
 * start time, host, what it does, since when). A second run waits for the holder, saying who it is,
 * and takes the lock over at once when the holder's process is gone (killed, crashed: nothing
 * removed the file). Written here rather than taken from proper-lockfile, which judges a lock stale
 * by its age (a crashed holder blocks for the stale period) and names no holder.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { registerCleanup } from "./cleanup.ts";
import { RefusedError } from "./errors.ts";

export interface LockHolder {
  pid: number;
  /** The process's start time (Linux: /proc/<pid>/stat), so a reused pid is not mistaken for the holder. */
  started: string | undefined;
  host: string;
  /** What the holder does, for the waiting run's message: "prebake pipeline run ci". */
  what: string;
  since: string;
  /** This acquisition's own mark: a release or a takeover removes only the lock it means. */
  token: string;
}

export interface LockOptions {
  /** How long to wait for a live holder before refusing (exit 9). Default PREBAKE_LOCK_WAIT_SECONDS or 600. */
  waitMs?: number;
  /** Told once when the lock is held by someone else (the run then waits). */
  onWait?: (holder: LockHolder) => void;
}

/** Releases the lock (idempotent); also registered to run on a signal. */
export type ReleaseLock = () => Promise<void>;

/** The lock of a folder: a file beside it (the folder itself may be replaced while held). */
export const folderLock = (folder: string) => `${folder}.lock`;

const POLL_MS = 200;
/** A lock file still empty or half-written after this long was left by a crash between create and write. */
const UNREADABLE_STALE_MS = 5000;

function processStart(pid: number): string | undefined {
  try {
    // Field 22 (starttime), counted after the command name's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder's process still runs (another host's holder is assumed to). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // The pid runs; it is the holder only if it started when the holder did.
  return !holder.started || !existsSync(`/proc/${holder.pid}`) || processStart(holder.pid) === holder.started;
}

const describeHolder = (h: LockHolder) => `pid ${h.pid} on ${h.host}, ${h.what}, since ${h.since}`;

async function readHolder(path: string): Promise<LockHolder | "unreadable" | "gone"> {
  try {
    const text = await readFile(path, "utf8");
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder.pid === "number" && typeof holder.token === "string" ? holder : "unreadable";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    return "unreadable";
  }
}

/** Create the lock file exclusively, holder written and flushed before anyone can read it whole. */
async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Take over a lock whose holder is gone: move it aside under a name of our own, and remove it only
 * if it is still the lock judged stale (a run that took it meanwhile gets its lock put back).
 */
async function takeOver(path: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else took it over first
    throw err;
  }
  const moved = await readHolder(aside);
  const same = stale ? typeof moved === "object" && moved.token === stale.token : moved !== "gone";
  if (!same) await link(aside, path).catch(() => undefined); // not ours to remove: put it back
  await unlink(aside).catch(() => undefined);
}

/**
 * Hold `path` (a lock file) for `what`. Waits while a live process holds it; takes it over when the
 * holder is gone; refuses with exit 9, naming the holder, after `waitMs`.
 */
export async function acquireLock(
  path: string,
  what: string,
  options: LockOptions = {},
): Promise<ReleaseLock> {
  const waitMs = options.waitMs ?? Number(process.env.PREBAKE_LOCK_WAIT_SECONDS ?? 600) * 1000;
  const mine: LockHolder = {
    pid: process.pid,
    started: processStart(process.pid),
    host: hostname(),
    what,
    since: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
  };
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    if (await tryCreate(path, mine)) break;
    const holder = await readHolder(path);
    if (holder === "gone") continue;
    if (holder === "unreadable") {
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > UNREADABLE_STALE_MS) await takeOver(path, undefined);
      else await new Promise((r) => setTimeout(r, POLL_MS));
      continue;
    }
    if (!holderAlive(holder)) {
      await takeOver(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new RefusedError(`in use by another run (${describeHolder(holder)})`, {
        where: path.replace(/\.lock$/, ""),
        fix: "wait for that run to finish, or stop it (a lock whose process is gone is taken over by itself)",
      });
    }
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  let released = false;
  const release: ReleaseLock = async () => {
    if (released) return;
    released = true;
    forget();
    const holder = await readHolder(path);
    if (typeof holder === "object" && holder.token === mine.token) await unlink(path).catch(() => undefined);
  };
  // On a signal too (the runtime's cleanups run before the process exits).
  const forget = registerCleanup(release);
  return release;
}

/** Run `fn` holding the lock; released however `fn` ends. */
export async function withLock<T>(
  path: string,
  what: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquireLock(path, what, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
