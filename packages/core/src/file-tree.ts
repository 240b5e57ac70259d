/**
 * The files of a folder that prebake packs (a layer's sources and stage, a pipeline artifact) or
 * unpacks (an artifact zip), and the one rule for symlinks in them: a link travels as a link, never
 * followed, and only when it is relative and stays inside its folder. A link that is absolute or
 * leaves its folder would carry a host file (`creds.txt -> ~/.aws/credentials`) into a zip, or let a
 * later entry write through it; it is refused with one line naming the file (exit 3).
 */
import { constants } from "node:fs";
import { lstat, open, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { ConfigError } from "./errors.ts";

export interface TreeFile {
  /** Relative to the folder, /-separated. */
  path: string;
  type: "file" | "symlink";
  /** Permission bits (lstat's mode & 0o7777). */
  mode: number;
  /** The bytes a file holds; for a link, the length of its target. */
  size: number;
  /** A link's target, as written (relative, inside the folder: checked). */
  target?: string;
}

/** Links resolved in a row before giving up (Linux's own limit is 40). */
const MAX_LINK_HOPS = 40;

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Why the link at `path` (relative to the folder) must not travel, or undefined when it may. `links`
 * holds every link of the folder by path, so a target through another link (`a -> b/../x` with
 * `b -> c/d`) is resolved as the kernel would: a link followed, then `..` applied to where it led.
 * Pure, so it is unit-tested; nothing outside the folder is ever looked at.
 */
export function linkProblem(links: ReadonlyMap<string, string>, path: string): string | undefined {
  const first = links.get(path);
  if (first === undefined) return undefined;
  if (posix.isAbsolute(first)) return "its target is an absolute path";
  const at = path.split("/").slice(0, -1);
  const todo = first.split("/");
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (at.length === 0) return "its target leaves the folder";
      at.pop();
      continue;
    }
    at.push(part);
    const next = links.get(at.join("/"));
    if (next === undefined) continue;
    if (posix.isAbsolute(next)) return `it leads through ${at.join("/")}, whose target is an absolute path`;
    if (++hops > MAX_LINK_HOPS) return "its target is a loop of links";
    at.pop();
    todo.unshift(...next.split("/"));
  }
  return undefined;
}

/** The one error for a link that must not travel: names the file, says what to do. */
export function unsafeLinkError(where: string, target: string, problem: string): ConfigError {
  return new ConfigError(`symlink to ${target} refused: ${problem}`, {
    where,
    fix: "make it a relative link to a file inside the same folder, or copy the file in (a link is never followed)",
  });
}

/** Check every link of a listing against the others; the first bad one is the error. */
export function assertLinksStayIn(links: ReadonlyMap<string, string>, shown: (path: string) => string): void {
  for (const [path, target] of [...links].sort(([a], [b]) => bytewise(a, b))) {
    const problem = linkProblem(links, path);
    if (problem) throw unsafeLinkError(shown(path), target, problem);
  }
}

/**
 * Every regular file and symlink under `root`, sorted bytewise, links not followed (a link to a
 * folder is one entry, not the folder's files). Sockets, fifos and devices are left out. Throws the
 * unsafe-link error for a link that is absolute or leaves `root`; `shown` turns a path into what
 * the message names (the repository-relative path, or the artifact and entry).
 */
export async function listTree(
  root: string,
  shown: (path: string) => string = (path) => join(root, path),
): Promise<TreeFile[]> {
  const files: TreeFile[] = [];
  const links = new Map<string, string>();
  const walk = async (prefix: string) => {
    for (const entry of await readdir(prefix ? join(root, prefix) : root, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const abs = join(root, path);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isSymbolicLink()) {
        const target = await readlink(abs);
        links.set(path, target);
        const { mode } = await lstat(abs);
        files.push({ path, type: "symlink", mode: mode & 0o7777, size: Buffer.byteLength(target), target });
      } else if (entry.isFile()) {
        const { mode, size } = await lstat(abs);
        files.push({ path, type: "file", mode: mode & 0o7777, size });
      }
    }
  };
  await walk("");
  assertLinksStayIn(links, shown);
  return files.sort((a, b) => bytewise(a.path, b.path));
}

/**
 * A listed file's bytes, opened without following a link: a file swapped for a link after the
 * listing fails (ELOOP) instead of reading the link's target.
 */
export async function readTreeFile(root: string, path: string): Promise<Buffer> {
  const handle = await open(join(root, path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
