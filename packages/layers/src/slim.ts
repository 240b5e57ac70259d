import { lstat, readdir, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export interface SlimOptions {
  /** Remove __pycache__ folders and .pyc/.pyo files (Lambda's filesystem is read-only: they are never used). */
  pycache: boolean;
  /** Remove tests/ and test/ folders inside packages. */
  tests: boolean;
  /** Remove *.dist-info (breaks packages that read their own metadata, such as pydantic: off by default). */
  distInfo: boolean;
  /** Extra globs relative to the install folder (* within a name, ** across folders). */
  exclude: string[];
}

export interface SlimResult {
  beforeBytes: number;
  afterBytes: number;
  removed: { path: string; bytes: number; reason: string }[];
}

/** A glob (*, **, ?) as an anchored regular expression over /-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Why a path (relative, /-separated) is removed, or undefined to keep it. Pure, so it is unit-tested. */
export function removalReason(
  rel: string,
  isDir: boolean,
  options: SlimOptions,
  excludes: RegExp[],
): string | undefined {
  const parts = rel.split("/");
  const name = parts[parts.length - 1]!;
  if (options.pycache && isDir && name === "__pycache__") return "__pycache__";
  if (options.pycache && !isDir && /\.py[co]$/.test(name)) return "bytecode";
  // Only inside a package (depth >= 2): a top-level distribution named "tests" would be code someone imports.
  if (options.tests && isDir && (name === "tests" || name === "test") && parts.length >= 2) return "tests";
  if (options.distInfo && isDir && name.endsWith(".dist-info")) return "dist-info";
  if (excludes.some((re) => re.test(rel))) return "exclude";
  return undefined;
}

async function sizeOf(path: string): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/** Slim an install folder in place and report what went, with sizes before and after. */
export async function slimDirectory(root: string, options: SlimOptions): Promise<SlimResult> {
  const excludes = options.exclude.map(globToRegExp);
  const beforeBytes = await sizeOf(root);
  const removed: SlimResult["removed"] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      const rel = relative(root, abs).split(sep).join("/");
      const reason = removalReason(rel, entry.isDirectory(), options, excludes);
      if (reason) {
        removed.push({ path: rel, bytes: await sizeOf(abs), reason });
        await rm(abs, { recursive: true, force: true });
      } else if (entry.isDirectory()) {
        await walk(abs);
      }
    }
  };
  await walk(root);
  return { beforeBytes, afterBytes: await sizeOf(root), removed };
}
