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

/** All artifact definitions: the primary one first, then the secondary ones in buildspec order. */
export function artifactSets(spec: Buildspec): ArtifactSet[] {
  return spec.artifacts ? [spec.artifacts, ...spec.artifacts.secondary] : [];
}

/**
 * A name CodeBuild computes in the build's shell (`myname-$(date +%Y-%m-%d)`, `$AWS_REGION`): the
 * driver evaluates it after POST_BUILD and the folder is known only then.
 */
export function isShellName(name: string | undefined): boolean {
  return name !== undefined && /[$`]/.test(name);
}

/**
 * Every artifact definition with its folder: the primary one in `<dir>/<name or "artifacts">`,
 * each secondary one in `<dir>/<its name, or its identifier>`. A name leaving the folder is
 * refused, and so are two definitions in one folder (one would overwrite the other). Names the
 * shell computes are taken from `evaluated` (by definition index); without one, they have no
 * folder yet (undefined), and are checked again once the build has evaluated them.
 */
export function artifactTargets(
  spec: Buildspec,
  artifactsDir: string,
  evaluated: Record<number, string> = {},
): { set: ArtifactSet; target: string | undefined }[] {
  const out: { set: ArtifactSet; target: string | undefined }[] = [];
  artifactSets(spec).forEach((set, i) => {
    const field = i === 0 ? "artifacts.name" : `artifacts.secondary-artifacts.${set.identifier}.name`;
    const written = i === 0 ? (set.name ?? "artifacts") : (set.name ?? set.identifier ?? "");
    const name = isShellName(set.name) ? evaluated[i] : written;
    const target = name === undefined ? undefined : targetOf(spec, artifactsDir, name, field);
    const clash =
      target && out.find((o) => o.target && (isWithin(o.target, target) || isWithin(target, o.target)));
    if (clash) {
      throw new ConfigError(`'${name}' is the folder of another artifact (${clash.target})`, {
        where: `${spec.file}: ${field}`,
        fix: "give each artifact its own name",
      });
    }
    out.push({ set, target });
  });
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
