import { relative } from "node:path";
import {
  AuthError,
  ConfigError,
  type Context,
  containerRuntime,
  firstLine,
  RefusedError,
  UnavailableError,
} from "@prebake/core";
import {
  defaultVersionFor,
  type ImageDefinition,
  imagesDir,
  loadImageDefinition,
  resolveVersion,
} from "./definition.ts";
import {
  currentPolicyText,
  describeRepositoryImages,
  evaluateLifecyclePolicy,
  type LifecyclePolicy,
  parsePolicyText,
  type RepositoryImage,
} from "./lifecycle/index.ts";
import { type ImageManifest, manifestPath, readManifestFile } from "./manifest.ts";
import { isRegistryAuthError } from "./push.ts";
import { engineReference, type RegistryTarget, resolveRegistry } from "./target.ts";

/** A pushed image, confirmed in the registry the profile names and safe from its lifecycle policy. */
export interface PushedImage {
  name: string;
  version: string;
  repository: string;
  registry: string;
  digest: string;
  /** `<registry>/<repository>@sha256:...` */
  uri: string;
  tags: string[];
  /** The manifest it was read from, relative to the root (for messages: where a value came from). */
  manifestFile: string;
}

// One registry per context: the aws profile's costs a GetAuthorizationToken call.
const registries = new WeakMap<Context, Promise<RegistryTarget>>();
function registryFor(ctx: Context): Promise<RegistryTarget> {
  let target = registries.get(ctx);
  if (!target) {
    target = resolveRegistry(ctx);
    registries.set(ctx, target);
    // A failure is not remembered: the next caller (a batch run reuses the context) asks again.
    target.catch(() => registries.delete(ctx));
  }
  return target;
}

/**
 * The image `prebake push <name>` last pushed for a version line (default: the profile's default
 * line), for deploy, codebuild and layers: dist/images is only this checkout's record, so the
 * digest is confirmed with the registry the profile names, and the repository's lifecycle policy
 * must not be about to expire or archive it. Undefined when this checkout never pushed that line;
 * a stale record is refused (exit 9) with the fix, before the caller changes anything.
 */
export async function resolvePushedImage(
  ctx: Context,
  name: string,
  version?: string,
): Promise<PushedImage | undefined> {
  const { rootDir, profile } = ctx.config;
  const def = loadImageDefinition(imagesDir(rootDir), name);
  const line = resolveVersion(def, profile.kind, version);
  const file = relative(rootDir, manifestPath(rootDir, name, line));
  const pushAgain = `prebake push ${name}${line === defaultVersionFor(def, profile.kind) ? "" : ` --version ${line}`}`;
  const read = readManifestFile(rootDir, name, line);
  if (read.state === "missing") return undefined;
  if (read.state === "invalid") {
    throw new ConfigError(`not an image manifest: ${read.reason}`, { where: file, fix: pushAgain });
  }
  const manifest = read.manifest;
  const reason = await unusableReason(ctx, def, manifest);
  if (reason) throw new RefusedError(reason, { where: file, fix: `push the image again: ${pushAgain}` });
  return {
    name,
    version: line,
    repository: manifest.repository,
    registry: manifest.registry,
    digest: manifest.digest,
    uri: manifest.uri,
    tags: manifest.tags,
    manifestFile: file,
  };
}

/**
 * The reference this machine's engine runs a pushed image by, pulled with the registry's
 * credentials when the engine lacks it. It is `uri` itself unless the aws profile maps ECR's host
 * (`ecrRegistry`): stacks name ECR, while the engine reaches the mirror. Errors: exit 6 when the
 * registry refuses the credentials, 5 otherwise (the caller decides whether to fall back).
 */
export async function pullPushedImage(ctx: Context, pushed: PushedImage): Promise<string> {
  const runtime = containerRuntime(ctx);
  const { reference, auth } = engineReference(await registryFor(ctx), pushed.uri);
  if (await runtime.imageExists(reference)) return reference;
  ctx.out.progress(pushed.name, `pulling ${reference}`);
  try {
    await runtime.pullImage(reference, auth ? { auth } : {});
  } catch (err) {
    if (err instanceof UnavailableError) throw err; // the engine itself did not answer in time
    const message = firstLine(err);
    const options = { where: `registry ${reference.split("/")[0]}`, cause: err };
    if (isRegistryAuthError(message)) {
      throw new AuthError(`the registry refused the credentials to pull ${reference} (${message})`, {
        ...options,
        fix: "refresh your AWS credentials; the role needs ECR pull permissions",
      });
    }
    throw new UnavailableError(`cannot pull ${reference} (${message})`, {
      ...options,
      fix: `check that the registry is reachable, or push the image again: prebake push ${pushed.name}`,
    });
  }
  return reference;
}

/** Ask the registry and ECR about a manifest's image; staleReason judges what they say. */
async function unusableReason(
  ctx: Context,
  def: ImageDefinition,
  manifest: Pick<ImageManifest, "repository" | "registry" | "digest" | "uri">,
): Promise<string | undefined> {
  const registry = await registryFor(ctx);
  const [found, policyText, images] = await Promise.all([
    registry.api.lookup(manifest.repository, manifest.digest),
    currentPolicyText(ctx, manifest.repository),
    describeRepositoryImages(ctx, manifest.repository),
  ]);
  return staleReason(manifest, {
    repository: def.repository,
    definitionFile: def.file,
    registryHost: registry.host,
    profileName: ctx.config.profile.name,
    found,
    policy: parsePolicyText(policyText),
    images,
    now: new Date(),
  });
}

/** `<registry>/<repository>@sha256:<hex>`: the only form of image reference a promotion moves. */
const PINNED_URI = /^(?<registry>[^/]+)\/(?<repository>[^@:]+(?:\/[^@:]+)*)@(?<digest>sha256:[0-9a-f]{64})$/;

/** The parts of a digest-pinned image uri, or undefined for anything else (a tag, `latest`, a curated image). */
export function parsePinnedUri(
  uri: string,
): { registry: string; repository: string; digest: string } | undefined {
  const m = PINNED_URI.exec(uri);
  return m?.groups
    ? { registry: m.groups.registry!, repository: m.groups.repository!, digest: m.groups.digest! }
    : undefined;
}

/**
 * Why an image uri deployed elsewhere (another environment's stack parameter) cannot be deployed
 * with this context, or undefined when it can: it must pin a digest of image `name`'s repository in
 * the registry this context's profile uses, which must still have it, not archived, and the
 * repository's lifecycle policy must not be about to expire or archive it. The same checks as
 * resolvePushedImage's, for a digest that comes from a stack instead of dist/images.
 */
export async function deployableImageProblem(
  ctx: Context,
  name: string,
  uri: string,
): Promise<string | undefined> {
  const pinned = parsePinnedUri(uri);
  if (!pinned) return `${uri} is not pinned by digest (<registry>/<repository>@sha256:...)`;
  const def = loadImageDefinition(imagesDir(ctx.config.rootDir), name);
  return unusableReason(ctx, def, { ...pinned, uri });
}

/** The newest image pushed for an image's default version line, as ECR lists it. */
export interface NewestPushedImage {
  name: string;
  version: string;
  repository: string;
  digest: string;
  tags: string[];
  pushedAt: Date;
}

/**
 * The image the default version line's moving tag (`<version>`) points at: what `prebake push`
 * pushed last for that line, whichever checkout pushed it. Undefined when the line was never
 * pushed. Read-only (ECR DescribeImages; the emulator records every local push).
 */
export async function newestPushedImage(ctx: Context, name: string): Promise<NewestPushedImage | undefined> {
  const def = loadImageDefinition(imagesDir(ctx.config.rootDir), name);
  const version = resolveVersion(def, ctx.config.profile.kind, undefined);
  const images = await describeRepositoryImages(ctx, def.repository);
  const holder = images.find((i) => i.tags.includes(version));
  if (!holder) return undefined;
  return {
    name,
    version,
    repository: def.repository,
    digest: holder.digest,
    tags: holder.tags,
    pushedAt: holder.pushedAt,
  };
}

/** What the registry and ECR say about a manifest's image, gathered by resolvePushedImage. */
export interface RegistryFacts {
  /** The repository the image definition names. */
  repository: string;
  definitionFile: string;
  /** The registry the profile names, and the profile's name (for messages). */
  registryHost: string;
  profileName: string;
  /** What the registry answers for the manifest's digest (undefined: it does not have it). */
  found: string | undefined;
  /** The repository's lifecycle policy as ECR holds it (undefined: none). */
  policy: LifecyclePolicy | undefined;
  /** The repository's images as ECR lists them (the emulator records every local push). */
  images: RepositoryImage[];
  now: Date;
}

/**
 * Why a manifest cannot be used, or undefined when it can: it must name the definition's
 * repository and the profile's registry, its uri must pin its digest, the registry must have that
 * digest, and the repository's lifecycle policy must not be about to expire or archive it (the
 * conservative reading), nor may it be archived already. Pure.
 */
export function staleReason(
  manifest: Pick<ImageManifest, "repository" | "registry" | "digest" | "uri">,
  facts: RegistryFacts,
): string | undefined {
  const { digest, repository, registry } = manifest;
  if (repository !== facts.repository) {
    return `records repository ${repository}, but ${facts.definitionFile} names ${facts.repository}`;
  }
  if (registry !== facts.registryHost) {
    return `records registry ${registry}, but the ${facts.profileName} profile uses ${facts.registryHost}`;
  }
  if (manifest.uri !== `${registry}/${repository}@${digest}`) {
    return `uri ${manifest.uri} does not pin ${registry}/${repository}@${digest}`;
  }
  if (facts.found !== digest) return `${digest} is not in registry ${registry} (repository ${repository})`;
  if (facts.images.find((i) => i.digest === digest)?.storageClass === "archive") {
    return `${digest} is archived in ECR (archived images cannot be pulled)`;
  }
  const loss =
    facts.policy &&
    evaluateLifecyclePolicy(facts.policy, facts.images, facts.now).find((l) => l.digest === digest);
  if (loss) {
    const what = loss.action === "transition" ? "archive" : "expire";
    return `the lifecycle policy of ${repository} is about to ${what} ${digest} (rule ${loss.rulePriority})`;
  }
  return undefined;
}
