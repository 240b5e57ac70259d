import type { GitInfo } from "@prebake/core";
import { ConfigError, parseKeyValueOptions, stripUrlCredentials } from "@prebake/core";
import { defaultVersionFor, type ImageDefinition } from "./definition.ts";
import { digestHex12 } from "./digest.ts";

/**
 * Everything about one build of one version line that does not need the engine: the base for
 * the profile, the merged build args, the labels, and the tag plan. Pure, so it is unit-tested.
 */
export interface ImagePlan {
  name: string;
  version: string;
  repository: string;
  dockerfile: string;
  platform: string;
  base: string;
  /** Common, then per-version, then --build-arg; BASE_IMAGE always set. Part of the content hash. */
  buildArgs: Record<string, string>;
  /** Labels that belong to the content (definition labels, OCI version): part of the hash. */
  labels: Record<string, string>;
  /**
   * Labels that describe *when/where* it was built (revision = git HEAD, created): NOT hashed,
   * otherwise every commit anywhere in the repository would rebuild every image.
   */
  provenanceLabels: Record<string, string>;
  isDefaultVersion: boolean;
}

export const OCI = "org.opencontainers.image";

export function parseBuildArgOptions(values: string[]): Record<string, string> {
  return parseKeyValueOptions(values, "--build-arg", "OTP_URL=http://127.0.0.1:8000/otp_src_27.1.tar.gz");
}

export function planImage(
  def: ImageDefinition,
  version: string,
  profileKind: "local" | "aws",
  options: { buildArgs?: Record<string, string>; git?: GitInfo; now?: Date } = {},
): ImagePlan {
  const line = def.versions[version];
  if (!line) throw new Error(`planImage: version ${version} not in ${def.name}`); // resolveVersion ran first
  const base = line.base?.[profileKind] ?? def.base[profileKind];
  if (!base) {
    throw new ConfigError(`no base image for the ${profileKind} profile`, {
      where: `${def.file}: base.${profileKind}`,
      fix: `set base.${profileKind} (the image the Dockerfile's FROM \${BASE_IMAGE} uses)`,
    });
  }
  const buildArgs = { ...def.buildArgs, ...line.buildArgs, BASE_IMAGE: base, ...(options.buildArgs ?? {}) };
  const labels: Record<string, string> = { ...def.labels, [`${OCI}.version`]: version };
  refuseCredentials(def, version, buildArgs, labels, options.buildArgs ?? {});
  const provenanceLabels: Record<string, string> = {};
  if (options.git?.revision) provenanceLabels[`${OCI}.revision`] = options.git.revision;
  if (!labels[`${OCI}.source`] && options.git?.source) provenanceLabels[`${OCI}.source`] = options.git.source;
  provenanceLabels[`${OCI}.created`] = (options.now ?? new Date()).toISOString();
  return {
    name: def.name,
    version,
    repository: def.repository,
    dockerfile: def.dockerfile,
    platform: def.platform,
    base: buildArgs.BASE_IMAGE ?? base,
    buildArgs,
    labels,
    provenanceLabels,
    isDefaultVersion: version === defaultVersionFor(def, profileKind),
  };
}

/**
 * A build arg or label whose value carries URL credentials (`OTP_URL=https://user:token@mirror/...`)
 * is refused before anything is built: the engine keeps every build arg a RUN uses in the image's
 * history, a Dockerfile's LABEL may copy it (erlang-otp's otp-source does), and the image is pushed
 * for anyone who may pull it. Credentials go in as a build secret instead (image.yaml `secrets:`).
 */
function refuseCredentials(
  def: ImageDefinition,
  version: string,
  buildArgs: Record<string, string>,
  labels: Record<string, string>,
  fromCli: Record<string, string>,
): void {
  const where = (key: string, kind: "buildArgs" | "labels") => {
    if (kind === "labels") return `${def.file}: labels.${key}`;
    if (key in fromCli) return `--build-arg ${key}`;
    if (def.versions[version]?.buildArgs?.[key] !== undefined)
      return `${def.file}: versions.${version}.buildArgs.${key}`;
    return `${def.file}: buildArgs.${key}`;
  };
  for (const [kind, values] of [
    ["buildArgs", buildArgs],
    ["labels", labels],
  ] as const) {
    for (const [key, value] of Object.entries(values)) {
      if (stripUrlCredentials(value) === value) continue;
      throw new ConfigError(
        `${stripUrlCredentials(value)} carries credentials (user:token@), which the image would keep in its history or labels`,
        {
          where: where(key, kind),
          fix: "drop them from the URL and give the build the credentials as a build secret (image.yaml secrets:, mounted by the step that downloads)",
        },
      );
    }
  }
}

/** The tags one push writes. */
export interface TagPlan {
  /** `<version>-<hash12>`: never moves; the identity the skip logic looks up. */
  immutable: string;
  /** `<version>`, plus `latest` for the default version only: moved after the immutable tag is in. */
  moving: string[];
}

export function planTags(version: string, contentHash: string, isDefaultVersion: boolean): TagPlan {
  return {
    immutable: `${version}-${digestHex12(contentHash)}`,
    moving: isDefaultVersion ? [version, "latest"] : [version],
  };
}

/**
 * The tags that must stay mutable in ECR (IMMUTABLE_WITH_EXCLUSION): every version's moving tag
 * and `latest`. ECR allows at most five exclusion filters, so a definition with more than four
 * version lines cannot be expressed; that is a config error, not a silent MUTABLE repository.
 */
export function mutableTagFilters(def: ImageDefinition): string[] {
  const filters = [...Object.keys(def.versions), "latest"];
  if (filters.length > 5) {
    throw new ConfigError(
      `${Object.keys(def.versions).length} version lines need ${filters.length} mutable-tag exclusion filters; ECR allows 5`,
      { where: `${def.file}: versions`, fix: "keep at most 4 version lines per repository" },
    );
  }
  return filters;
}
