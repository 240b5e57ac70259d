import { ConfigError } from "@prebake/core";
import { parse } from "yaml";
import type { Buildspec } from "./buildspec.ts";
import { whereIn } from "./buildspec.ts";

/**
 * runtime-versions, as CodeBuild's curated images do it: the image carries a runtimes file that
 * names, per runtime and version, the commands that select it (`pyenv global ...`, `n ...`).
 * CodeBuild runs those commands at the start of INSTALL; on an image without the file it skips
 * runtime-versions with a warning. The local runner does the same with the image's own file.
 */
export const RUNTIMES_FILE = "/codebuild/image/config/runtimes.yml";

interface RuntimesFile {
  runtimes?: Record<string, { versions?: Record<string, { commands?: unknown[] } | null> } | null>;
}

/** Numeric parts of a version key (`3.12` -> [3, 12], `corretto21` -> [21]) to find the newest. */
function versionParts(key: string): number[] {
  return (key.match(/\d+/g) ?? []).map(Number);
}

function newest(keys: string[]): string | undefined {
  return [...keys].sort((a, b) => {
    const [pa, pb] = [versionParts(a), versionParts(b)];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? -1) - (pb[i] ?? -1);
      if (d !== 0) return d;
    }
    return a.localeCompare(b);
  })[keys.length - 1];
}

/** `3.12`, `3.x` (newest 3.*), `latest` (newest), or `$VAR` (the build's variable), as CodeBuild reads them. */
export function resolveRuntimeVersion(
  requested: string,
  available: string[],
  env: Record<string, string>,
): string | undefined {
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(requested);
  const wanted = variable ? (env[variable[1]!] ?? "") : requested;
  const candidates = available.filter((k) => k !== "default");
  if (candidates.includes(wanted)) return wanted;
  if (wanted === "latest") return newest(candidates);
  const major = /^(.+)\.x$/.exec(wanted)?.[1];
  if (major) return newest(candidates.filter((k) => k === major || k.startsWith(`${major}.`)));
  return undefined;
}

/** The commands that select the buildspec's runtime-versions, from the image's runtimes file. */
export function runtimeCommands(spec: Buildspec, fileText: string, env: Record<string, string>): string[] {
  const wanted = spec.phases.install?.runtimeVersions ?? {};
  let file: RuntimesFile;
  try {
    // failsafe: every scalar a string, so the version key 1.20 stays "1.20" (not the number 1.2).
    file = (parse(fileText, { schema: "failsafe" }) ?? {}) as RuntimesFile;
  } catch (err) {
    throw new ConfigError(
      `the image's ${RUNTIMES_FILE} is not valid YAML (${(err as Error).message.split("\n")[0]})`,
      {
        where: whereIn(spec, "phases.install.runtime-versions"),
        fix: "fix the runtimes file in the image, or drop runtime-versions",
      },
    );
  }
  return Object.entries(wanted).flatMap(([runtime, requested]) => {
    const where = whereIn(spec, `phases.install.runtime-versions.${runtime}`);
    const versions = file.runtimes?.[runtime]?.versions;
    if (!versions) {
      const known = Object.keys(file.runtimes ?? {}).join(", ") || "none";
      throw new ConfigError(`this image has no runtime '${runtime}' (its runtimes file lists: ${known})`, {
        where,
        fix: "name a runtime of the image, or drop it from runtime-versions",
      });
    }
    const version = resolveRuntimeVersion(requested, Object.keys(versions), env);
    if (!version) {
      throw new ConfigError(
        `${runtime} ${requested} is not in this image (it has: ${Object.keys(versions)
          .filter((k) => k !== "default")
          .join(", ")})`,
        {
          where,
          fix: "pick one of the image's versions, N.x for the newest N, or latest",
        },
      );
    }
    return (versions[version]?.commands ?? []).map(String);
  });
}

/** The buildspec with the runtime-selecting commands first in INSTALL, where CodeBuild runs them. */
export function withRuntimeCommands(spec: Buildspec, commands: string[]): Buildspec {
  const install = spec.phases.install;
  if (!install || commands.length === 0) return spec;
  return {
    ...spec,
    phases: { ...spec.phases, install: { ...install, commands: [...commands, ...install.commands] } },
  };
}

/**
 * CodeBuild only honours runtime-versions on images that carry its runtimes file; on any other
 * custom image it skips them with a warning. Say so before the build instead of after.
 */
export function runtimeVersionWarnings(spec: Buildspec, imageHasRuntimesFile: boolean): string[] {
  const rv = spec.phases.install?.runtimeVersions ?? {};
  if (imageHasRuntimesFile || Object.keys(rv).length === 0) return [];
  return [
    `${spec.file}: runtime-versions (${Object.entries(rv)
      .map(([k, v]) => `${k}: ${v}`)
      .join(
        ", ",
      )}) is skipped on this image: it has no CodeBuild runtimes file (${RUNTIMES_FILE}); the toolchain must come from the image (activate it in install)`,
  ];
}
