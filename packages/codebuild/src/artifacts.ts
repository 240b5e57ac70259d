import { realpathSync } from "node:fs";
import { dirname, isAbsolute, posix, relative, resolve } from "node:path";
import { ConfigError } from "@prebake/core";
import type { Buildspec } from "./buildspec.ts";

/** Whether `path` is `folder` or inside it (both resolved). */
function isWithin(folder: string, path: string, rel = relative): boolean {
  const r = rel(folder, path);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** The deepest existing folder on the way to `path`, with symlinks resolved: where a write really lands. */
function realAncestor(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      return resolve(realpathSync(p), relative(p, path));
    } catch {
      if (dirname(p) === p) return path;
    }
  }
}

/**
 * The folder a build's artifacts are copied into: `<artifacts dir>/<artifacts.name>`. A name that
 * leaves the artifacts folder (`../../tmp/x`, an absolute path, a symlink out) is refused before
 * anything runs: the resolved path is checked, not the string.
 */
export function artifactsTarget(spec: Buildspec, artifactsDir: string): string {
  const base = resolve(artifactsDir);
  const name = spec.artifacts?.name ?? "artifacts";
  const target = resolve(base, name);
  if (!isWithin(realAncestor(base), realAncestor(target))) {
    throw new ConfigError(`'${name}' leaves the artifacts folder ${base}`, {
      where: `${spec.file}: artifacts.name`,
      fix: "use a plain folder name such as bundle (no '..', no absolute path, no symlink out of the folder)",
    });
  }
  return target;
}

/** artifacts.base-directory is relative to the source folder and must stay in it (as in CodeBuild). */
export function checkBaseDirectory(spec: Buildspec, srcDir: string): void {
  const dir = spec.artifacts?.baseDirectory;
  if (dir === undefined) return;
  if (!isWithin(srcDir, posix.resolve(srcDir, dir), posix.relative)) {
    throw new ConfigError(`'${dir}' leaves the source folder`, {
      where: `${spec.file}: artifacts.base-directory`,
      fix: "name a folder inside the source, relative to it (e.g. build/out)",
    });
  }
}
