/**
 * Where a stack's image digests came from. `prebake promote dev prod` tags each prod stack with one
 * `prebake:origin:<Parameter>` = `<from-env>@<digest>` per image parameter it moved; `prebake status`
 * reads them back. A later deploy keeps a record while its parameter keeps that digest and drops it
 * when the digest changes, so a record is never stale. Pure.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { parsePinnedUri } from "@prebake/images";
import type { PreparedDeploy } from "./prepare.ts";

export const ORIGIN_TAG_PREFIX = "prebake:origin:";

export interface ImageOrigin {
  parameter: string;
  /** The environment the digest was promoted from. */
  environment: string;
  digest: string;
}

type TagList = { Key?: string | undefined; Value?: string | undefined }[];

/** The tag recording that `parameter`'s digest was promoted from `environment`. */
export const originTag = (origin: ImageOrigin): Record<string, string> => ({
  [`${ORIGIN_TAG_PREFIX}${origin.parameter}`]: `${origin.environment}@${origin.digest}`,
});

/** The origin records among a stack's tags. */
export function imageOrigins(tags: TagList): ImageOrigin[] {
  const origins: ImageOrigin[] = [];
  for (const { Key, Value } of tags) {
    if (!Key?.startsWith(ORIGIN_TAG_PREFIX) || !Value) continue;
    const at = Value.indexOf("@");
    if (at <= 0) continue;
    origins.push({
      parameter: Key.slice(ORIGIN_TAG_PREFIX.length),
      environment: Value.slice(0, at),
      digest: Value.slice(at + 1),
    });
  }
  return origins;
}

/** The digest an image parameter value pins, if it pins one. */
export const pinnedDigest = (value: string | undefined) =>
  value === undefined ? undefined : parsePinnedUri(value)?.digest;

/**
 * The deployed origin tags that stay true after a deploy with `parameters`: those whose parameter
 * keeps the recorded digest.
 */
export function carriedOriginTags(
  deployedTags: TagList,
  parameters: { key: string; value: string }[],
): Record<string, string> {
  const values = new Map(parameters.map((p) => [p.key, p.value]));
  const carried: Record<string, string> = {};
  for (const origin of imageOrigins(deployedTags)) {
    if (pinnedDigest(values.get(origin.parameter)) === origin.digest)
      Object.assign(carried, originTag(origin));
  }
  return carried;
}

/** A prepared deploy with the stack's still-true origin records added (a promotion's own tags win). */
export const withCarriedOrigins = (prepared: PreparedDeploy, stack: Stack | undefined): PreparedDeploy =>
  stack
    ? { ...prepared, tags: { ...carriedOriginTags(stack.Tags ?? [], prepared.parameters), ...prepared.tags } }
    : prepared;
