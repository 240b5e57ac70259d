import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuthError,
  assertDockerAvailable,
  type Context,
  containerRuntime,
  FileDigests,
  firstLine,
  formatBytes,
  formatDuration,
  type ImageRun,
  RefusedError,
  readGitInfo,
  UnavailableError,
} from "@prebake/core";
import { buildImage } from "./build.ts";
import { type ContextFile, listContextFiles, packContext } from "./context.ts";
import type { ImageDefinition } from "./definition.ts";
import { shortDigest } from "./digest.ts";
import { prepareGeneratedFiles } from "./generated.ts";
import { computeContentHash } from "./hash.ts";
import { type ImageManifest, readImageManifest, writeImageManifest } from "./manifest.ts";
import { type ImagePlan, OCI, planImage, planTags, type TagPlan } from "./plan.ts";
import { pushTag } from "./push.ts";
import { manifestSize, type StoredManifest } from "./registry.ts";
import { reconcileRepository } from "./repository.ts";
import { resolveBuildSecrets } from "./secrets.ts";
import { engineReference, type RegistryTarget, resolveRegistry } from "./target.ts";

export interface ImageOptions {
  force?: boolean;
  /** --build-arg overrides (source mirrors). */
  buildArgs?: Record<string, string>;
  /** Cold build: no layer cache (benchmarks). */
  noCache?: boolean;
}

/** The --json result of build-image/push, one per version: core's image run, and what it did in words. */
export interface ImageResult extends ImageRun {
  /** Why it was skipped, or what was done, in words. */
  reason: string;
  contentHash: string;
  tags: string[];
  digest: string | undefined;
  uri: string | undefined;
  sizeBytes: number | undefined;
}

/** What is known before anything is built: plan, context, content hash, tags, local name. */
export interface PreparedImage {
  def: ImageDefinition;
  plan: ImagePlan;
  contentHash: string;
  tags: TagPlan;
  /** `<registry address>/<repository>`: the name the engine builds, tags and pushes. */
  name: string;
  label: string;
  /** Where the engine finds the base (ECR's host mapped by `ecrRegistry`), and its credentials. */
  base: ReturnType<typeof engineReference>;
  /** The base's id the content hash used (local: its id in the engine; aws: its registry digest). */
  baseId: string;
  /** The build context the content hash describes: a build sends exactly these files. */
  files: ContextFile[];
}

/**
 * The base image's identity for the content hash. aws profile: its digest in the registry that
 * serves it, asked through the engine's distribution endpoint; a base on the profile's registry
 * host (a team's own ECR base) is asked at `ecrRegistry` when set, with ECR's credentials.
 * Local profile: its id in the engine (local bases are built, never pulled).
 */
async function baseImageId(ctx: Context, plan: ImagePlan, target: RegistryTarget): Promise<string> {
  const docker = ctx.docker();
  if (ctx.config.profile.kind === "aws") {
    const base = engineReference(target, plan.base);
    try {
      const info = await docker
        .getImage(base.reference)
        .distribution(base.auth ? { authconfig: base.auth } : {});
      return info.Descriptor.digest;
    } catch (err) {
      const where = `base image ${plan.base}${base.reference === plan.base ? "" : ` (at ${base.reference})`}`;
      if ((err as { statusCode?: number }).statusCode === 401) {
        throw new AuthError("the base image's registry refused the credentials", {
          where,
          fix: base.auth
            ? "refresh your AWS credentials (the role needs ECR pull permissions on the base's repository)"
            : "use a public base, or one in this account's ECR",
          cause: err,
        });
      }
      throw new UnavailableError(`cannot resolve the base image's registry digest (${firstLine(err)})`, {
        where,
        fix: "check network access to the base's registry and the name in image.yaml base.aws",
        cause: err,
      });
    }
  }
  const id = await containerRuntime(ctx).imageId(plan.base);
  if (id) return id;
  // `up` builds the default Debian base; other suites (trixie) are built on demand with `base <suite>`.
  const suite = /^prebake\/debian:([a-z]+)$/.exec(plan.base)?.[1];
  const command = suite && suite !== "bookworm" ? `base ${suite}` : "up";
  throw new UnavailableError(`base image ${plan.base} is not in the local engine`, {
    where: `${plan.name}:${plan.version} base.local`,
    fix: `build it with \`bash scripts/local-env.sh ${command}\` (local bases are built, never pulled)`,
  });
}

export async function prepareImage(
  ctx: Context,
  def: ImageDefinition,
  version: string,
  target: RegistryTarget,
  options: ImageOptions = {},
): Promise<PreparedImage> {
  await assertDockerAvailable(ctx.docker());
  const plan = planImage(def, version, ctx.config.profile.kind, {
    buildArgs: options.buildArgs ?? {},
    git: await readGitInfo(def.dir),
  });
  // Generated files first: the hash covers what the build will really be sent.
  const digests = FileDigests.of(ctx.config.rootDir);
  await prepareGeneratedFiles(ctx, def, digests);
  const files = listContextFiles(def.dir, def.dockerfile, digests);
  await digests.save();
  const baseId = await baseImageId(ctx, plan, target);
  const contentHash = computeContentHash({
    dockerfile: def.dockerfile,
    files,
    buildArgs: plan.buildArgs,
    labels: plan.labels,
    platform: plan.platform,
    baseImageId: baseId,
  });
  const tags = planTags(version, contentHash, plan.isDefaultVersion);
  return {
    def,
    plan,
    contentHash,
    tags,
    name: `${target.address}/${def.repository}`,
    label: `${def.name}:${version}`,
    base: engineReference(target, plan.base),
    baseId,
    files,
  };
}

/** OCI's annotations for the base an image was built from. */
export const BASE_NAME_LABEL = `${OCI}.base.name`;
export const BASE_DIGEST_LABEL = `${OCI}.base.digest`;
const baseLabels = (name: string, id: string) => ({ [BASE_NAME_LABEL]: name, [BASE_DIGEST_LABEL]: id });

/** Build unless the engine already has this content hash (or --force); returns whether it built. */
async function ensureBuilt(ctx: Context, img: PreparedImage, options: ImageOptions): Promise<boolean> {
  const ref = `${img.name}:${img.tags.immutable}`;
  if (!options.force && (await containerRuntime(ctx).imageExists(ref))) {
    ctx.out.info(`${ref} is in the local engine (content hash match): not building`);
    return false;
  }
  if (options.noCache) {
    // A cold build: drop the previous image so nothing of it is reused.
    await containerRuntime(ctx).removeImage(ref);
  }
  const started = Date.now();
  ctx.out.info(`building ${ref}${options.noCache ? " (no cache)" : ""}`);
  await buildImage(ctx, {
    label: img.label,
    context: packContext(img.def.dir, img.files),
    dockerfile: img.def.dockerfile,
    tags: [ref],
    // The hashed build args name the base as image.yaml does; the engine gets where it is reached.
    buildArgs: { ...img.plan.buildArgs, BASE_IMAGE: img.base.reference },
    ...(img.base.auth ? { registryAuth: img.base.auth } : {}),
    // The base it was built on, as the OCI annotations name it: `prebake images outdated` compares
    // it with the base's current id. Not hashed (the base's id already is).
    labels: { ...img.plan.labels, ...img.plan.provenanceLabels, ...baseLabels(img.plan.base, img.baseId) },
    platform: img.plan.platform,
    secrets: resolveBuildSecrets(ctx, img.def),
    dockerfileText: readFileSync(join(img.def.dir, img.def.dockerfile), "utf8"),
    ...(ctx.config.profile.kind === "local" ? { networkMode: "host" } : { pull: true }),
    noCache: options.noCache ?? false,
  });
  ctx.out.success(`built ${ref} in ${formatDuration(Date.now() - started)}`);
  return true;
}

/** `prebake build-image`: build one version line into the local engine (skipped on a hash hit). */
export async function buildImageVersion(
  ctx: Context,
  def: ImageDefinition,
  version: string,
  options: ImageOptions = {},
): Promise<ImageResult> {
  const started = Date.now();
  const target = await resolveRegistry(ctx);
  ctx.out.step(`image ${def.name}:${version}`);
  const img = await prepareImage(ctx, def, version, target, options);
  ctx.out.info(`content hash ${shortDigest(img.contentHash)}… -> tag ${img.tags.immutable}`);
  const built = await ensureBuilt(ctx, img, options);
  if (!built) ctx.out.success(`${img.label} up to date (built earlier: ${img.tags.immutable})`);
  return {
    kind: "image",
    name: def.name,
    version,
    action: built ? "built" : "skipped",
    reason: built ? "built" : "content hash already built in the local engine",
    contentHash: img.contentHash,
    tags: [img.tags.immutable],
    digest: undefined,
    uri: `${img.name}:${img.tags.immutable}`,
    sizeBytes: undefined,
    durationMs: Date.now() - started,
  };
}

/**
 * `prebake push`: hash -> registry lookup -> (reconcile repository, safety) -> build if needed ->
 * push the immutable tag -> move the moving tags -> record -> dist manifest.
 * Any failure before the moving tags leaves `<version>` and `latest` where they were.
 */
export async function pushImageVersion(
  ctx: Context,
  def: ImageDefinition,
  version: string,
  options: ImageOptions = {},
  target?: RegistryTarget,
): Promise<ImageResult> {
  const started = Date.now();
  const { out } = ctx;
  const registry = target ?? (await resolveRegistry(ctx));
  out.step(`image ${def.name}:${version} -> ${registry.host}/${def.repository}`);
  const img = await prepareImage(ctx, def, version, registry, options);
  const { immutable, moving } = img.tags;
  out.info(`content hash ${shortDigest(img.contentHash)}… -> tag ${immutable}`);

  const inRegistry = await registry.api.lookup(def.repository, immutable);
  const upToDate = inRegistry !== undefined && !options.force;

  // Reconcile before pushing; the safety check may refuse here, with nothing pushed.
  await reconcileRepository(ctx, def, { tags: [immutable, ...moving], movingTags: moving });

  const { digest, built } = upToDate
    ? { digest: inRegistry, built: false }
    : await pushImmutableTag(ctx, registry, img, options);
  const manifest = await confirmInRegistry(registry, def.repository, immutable, digest);

  // Only now, with the immutable tag in the registry, move the moving tags.
  const movedTags = await moveTags(registry, def.repository, moving, manifest);
  const record = await writeRecord(ctx, {
    name: def.name,
    version,
    repository: def.repository,
    registry: registry.host,
    tags: [immutable, ...moving],
    digest,
    uri: `${registry.host}/${def.repository}@${digest}`,
    contentHash: img.contentHash,
    sizeBytes: manifestSize(manifest),
    pushedAt: new Date().toISOString(),
  });

  const durationMs = Date.now() - started;
  let reason: string;
  if (upToDate) {
    reason = movedTags.length
      ? `up to date: ${immutable} already in the registry (moved ${movedTags.join(", ")})`
      : `up to date: ${immutable} already in the registry; nothing built or pushed`;
    out.success(`${img.label} ${reason}`);
  } else {
    reason = `${built ? "built and " : ""}pushed ${immutable}, ${moving.join(", ")} (${formatBytes(record.sizeBytes)})`;
    out.success(`${img.label} ${reason} in ${formatDuration(durationMs)}`);
  }
  out.info(record.uri);
  return {
    kind: "image",
    name: def.name,
    version,
    action: upToDate ? "skipped" : "pushed",
    reason,
    contentHash: img.contentHash,
    tags: record.tags,
    digest,
    uri: record.uri,
    sizeBytes: record.sizeBytes,
    durationMs,
  };
}

/** Build if needed, then push the immutable tag; returns the digest the push reported. */
async function pushImmutableTag(
  ctx: Context,
  registry: RegistryTarget,
  img: PreparedImage,
  options: ImageOptions,
): Promise<{ digest: string; built: boolean }> {
  const built = await ensureBuilt(ctx, img, options);
  const tag = img.tags.immutable;
  const digest = await pushTag(ctx, { label: img.label, name: img.name, tag, auth: registry.auth }).catch(
    (err: unknown) => {
      if (/cannot be overwritten|already exists/i.test((err as Error).message ?? "")) {
        throw new RefusedError(`the registry keeps ${tag} immutable and already has it`, {
          where: `${registry.host}/${img.def.repository}`,
          fix: "push without --force (the content hash is already there)",
          cause: err,
        });
      }
      throw err;
    },
  );
  return { digest, built };
}

/**
 * Read the immutable tag's manifest back: it must be the digest the push reported (else another
 * push raced this one). Then record it in the ECR API with the same bytes (the emulator learns of
 * the push only this way; ECR already has it and answers "already exists").
 */
async function confirmInRegistry(
  registry: RegistryTarget,
  repository: string,
  immutable: string,
  digest: string,
): Promise<StoredManifest> {
  const manifest = await registry.api.getManifest(repository, immutable);
  if (manifest.digest !== digest) {
    throw new UnavailableError(
      `the registry serves ${manifest.digest} for ${immutable}, the push reported ${digest}`,
      {
        where: `${registry.host}/${repository}`,
        fix: "another push raced this one; run the push again",
      },
    );
  }
  // Recorded in ECR unless it already is (a no-op push only reads).
  if ((await registry.ecr.lookup(repository, immutable)) !== manifest.digest)
    await registry.ecr.putManifest(repository, immutable, manifest);
  return manifest;
}

/** Write dist/images/<name>-<version>.json; a skipped push keeps the record (and its pushedAt). */
async function writeRecord(ctx: Context, record: ImageManifest): Promise<ImageManifest> {
  const previous = readImageManifest(ctx.config.rootDir, record.name, record.version);
  if (previous?.digest === record.digest) record.pushedAt = previous.pushedAt;
  if (JSON.stringify(previous) !== JSON.stringify(record))
    await writeImageManifest(ctx.config.rootDir, record);
  return record;
}

/** Point each moving tag at the manifest (a manifest PUT, no layer traffic); returns the tags that moved. */
async function moveTags(
  registry: RegistryTarget,
  repository: string,
  tags: string[],
  manifest: StoredManifest,
): Promise<string[]> {
  // Each tag on its own: the tags are independent, and a no-op checks every one of them.
  const moved = await Promise.all(
    tags.map(async (tag) => {
      let movedHere = false;
      if ((await registry.api.lookup(repository, tag)) !== manifest.digest) {
        await registry.api.putManifest(repository, tag, manifest);
        movedHere = true;
      }
      // A tag moved in the registry but not in ECR's record (a failure between the two) moves here.
      if ((await registry.ecr.lookup(repository, tag)) !== manifest.digest) {
        await registry.ecr.putManifest(repository, tag, manifest);
      }
      return movedHere ? [tag] : [];
    }),
  );
  return moved.flat();
}
