import { realpathSync } from "node:fs";
import { dirname, isAbsolute, posix, relative, resolve } from "node:path";
import { ConfigError } from "@prebake/core";
import type { ArtifactSet, Buildspec } from "./buildspec.ts";

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

/** Whether writing `path` lands in `folder`, judged on the real paths (symlinks on the way resolved). */
export function staysIn(folder: string, path: string): boolean {
  return isWithin(realAncestor(resolve(folder)), realAncestor(resolve(path)));
}

/**
 * The folder a build's artifacts are copied into: `<artifacts dir>/<artifacts.name>`. A name that
 * leaves the artifacts folder (`../../tmp/x`, an absolute path, a symlink out) is refused before
 * anything runs: the resolved path is checked, not the string.
 */
export function artifactsTarget(spec: Buildspec, artifactsDir: string): string {
  return targetOf(spec, artifactsDir, spec.artifacts?.name ?? "artifacts", "artifacts.name");
}

function targetOf(spec: Buildspec, artifactsDir: string, name: string, field: string): string {
  const base = resolve(artifactsDir);
  const target = resolve(base, name);
  if (!isWithin(realAncestor(base), realAncestor(target))) {
    throw new ConfigError(`'${name}' leaves the artifacts folder ${base}`, {
      where: `${spec.file}: ${field}`,
      fix: "use a plain folder name such as bundle (no '..', no absolute path, no symlink out of the folder)",
    });
  }
  return target;
}

/**
 * Every artifact definition with its folder: the primary one in `<dir>/<name or "artifacts">`,
 * each secondary one in `<dir>/<its name, or its identifier>`. Two definitions in one folder are
 * refused: one would overwrite the other.
 */
export function artifactTargets(
  spec: Buildspec,
  artifactsDir: string,
): { set: ArtifactSet; target: string }[] {
  if (!spec.artifacts) return [];
  const out = [{ set: spec.artifacts as ArtifactSet, target: artifactsTarget(spec, artifactsDir) }];
  for (const set of spec.artifacts.secondary) {
    const field = `artifacts.secondary-artifacts.${set.identifier}.name`;
    const target = targetOf(spec, artifactsDir, set.name ?? set.identifier ?? "", field);
    const clash = out.find(
      (o) => o.target === target || isWithin(o.target, target) || isWithin(target, o.target),
    );
    if (clash) {
      throw new ConfigError(
        `'${set.name ?? set.identifier}' is the folder of another artifact (${clash.target})`,
        {
          where: `${spec.file}: ${field}`,
          fix: "give each artifact its own name",
        },
      );
    }
    out.push({ set, target });
  }
  return out;
}

/** Every base-directory (artifacts, secondary artifacts, reports) is relative to the source and stays in it. */
export function checkBaseDirectory(spec: Buildspec, srcDir: string): void {
  const bases: [string | undefined, string][] = [
    [spec.artifacts?.baseDirectory, "artifacts.base-directory"],
    ...(spec.artifacts?.secondary ?? []).map(
      (s) =>
        [s.baseDirectory, `artifacts.secondary-artifacts.${s.identifier}.base-directory`] as [
          string | undefined,
          string,
        ],
    ),
    ...spec.reports.map(
      (r) => [r.baseDirectory, `reports.${r.name}.base-directory`] as [string | undefined, string],
    ),
  ];
  for (const [dir, field] of bases) {
    if (dir === undefined) continue;
    if (!isWithin(srcDir, posix.resolve(srcDir, dir), posix.relative)) {
      throw new ConfigError(`'${dir}' leaves the source folder`, {
        where: `${spec.file}: ${field}`,
        fix: "name a folder inside the source, relative to it (e.g. build/out)",
      });
    }
  }
}
