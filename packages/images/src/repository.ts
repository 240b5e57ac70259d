import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  type GetLifecyclePolicyPreviewCommandOutput,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  paginateDescribeImages,
  type Repository,
  StartLifecyclePolicyPreviewCommand,
  TagResourceCommand,
  waitUntilLifecyclePolicyPreviewComplete,
} from "@aws-sdk/client-ecr";
import { type Context, classifyAwsError, firstLine } from "@prebake/core";
import type { ImageDefinition } from "./definition.ts";
import { assertNothingInUseExpires, deployedDigestReferences } from "./in-use.ts";
import {
  evaluateLifecyclePolicy,
  type LifecyclePolicy,
  lifecyclePolicyFor,
  policyText,
  type RepositoryImage,
} from "./lifecycle.ts";
import { mutableTagFilters } from "./plan.ts";

const errName = (err: unknown) => (err as { name?: string }).name ?? "";

/** The image a push is about to add, so the safety check sees the repository as it will be. */
export interface IncomingImage {
  tags: string[];
  /** Tags that move to the incoming image (and so leave whichever image holds them now). */
  movingTags: string[];
}

export async function describeRepositoryImages(ctx: Context, repository: string): Promise<RepositoryImage[]> {
  const ecr = ctx.aws(ECRClient);
  const images: RepositoryImage[] = [];
  try {
    for await (const page of paginateDescribeImages({ client: ecr }, { repositoryName: repository })) {
      for (const d of page.imageDetails ?? []) {
        if (!d.imageDigest) continue;
        images.push({
          digest: d.imageDigest,
          tags: d.imageTags ?? [],
          pushedAt: d.imagePushedAt ?? new Date(0),
        });
      }
    }
  } catch (err) {
    if (errName(err) === "RepositoryNotFoundException") return [];
    throw classifyAwsError(err, ctx.config.profile, `ECR repository ${repository}`);
  }
  return images;
}

/** The repository as it will look right after the incoming image is pushed and tags moved. */
export function withIncoming(
  images: RepositoryImage[],
  incoming: IncomingImage,
  now: Date,
): RepositoryImage[] {
  if (images.some((i) => incoming.tags.some((t) => i.tags.includes(t) && !incoming.movingTags.includes(t)))) {
    return images; // the immutable tag is already there: nothing new is pushed
  }
  const moved = images.map((i) => ({ ...i, tags: i.tags.filter((t) => !incoming.movingTags.includes(t)) }));
  return [...moved, { digest: "(the image being pushed)", tags: incoming.tags, pushedAt: now }];
}

/**
 * Bring the repository in line with the definition, the way the seed's script does, but through
 * the ECR API so the emulator and AWS behave the same: create if missing, scan on push, AES256,
 * tags, tag immutability with the moving tags excluded, and the lifecycle policy (after the
 * in-use safety check, which may refuse with exit 9 before anything is pushed).
 */
export async function reconcileRepository(
  ctx: Context,
  def: ImageDefinition,
  incoming: IncomingImage | undefined,
): Promise<{ created: boolean; policyChanged: boolean }> {
  const ecr = ctx.aws(ECRClient);
  const { out, config } = ctx;
  const where = `ECR repository ${def.repository}`;
  const fail = (err: unknown) => {
    throw classifyAwsError(err, config.profile, where);
  };
  const exclusionFilters = mutableTagFilters(def).map((filter) => ({
    filterType: "WILDCARD" as const,
    filter,
  }));
  const tags = Object.entries({ ...config.tags, ...def.repositoryTags }).map(([Key, Value]) => ({
    Key,
    Value,
  }));

  let repo: Repository | undefined;
  try {
    const res = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [def.repository] }));
    repo = res.repositories?.[0];
  } catch (err) {
    if (errName(err) !== "RepositoryNotFoundException") fail(err);
  }
  let created = false;
  if (!repo) {
    out.info(`creating repository ${def.repository}`);
    const res = await ecr
      .send(
        new CreateRepositoryCommand({
          repositoryName: def.repository,
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfiguration: { encryptionType: "AES256" },
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
          imageTagMutabilityExclusionFilters: exclusionFilters,
          ...(tags.length ? { tags } : {}),
        }),
      )
      .catch(fail);
    repo = res.repository;
    created = true;
  } else {
    if (!repo.imageScanningConfiguration?.scanOnPush) {
      out.info(`${def.repository}: turning scan on push on`);
      await ecr
        .send(
          new PutImageScanningConfigurationCommand({
            repositoryName: def.repository,
            imageScanningConfiguration: { scanOnPush: true },
          }),
        )
        .catch(fail);
    }
    const haveFilters = (repo.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter).sort();
    const wantFilters = exclusionFilters.map((f) => f.filter).sort();
    if (
      repo.imageTagMutability !== "IMMUTABLE_WITH_EXCLUSION" ||
      JSON.stringify(haveFilters) !== JSON.stringify(wantFilters)
    ) {
      out.info(`${def.repository}: tags immutable except ${wantFilters.join(", ")}`);
      await ecr
        .send(
          new PutImageTagMutabilityCommand({
            repositoryName: def.repository,
            imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters: exclusionFilters,
          }),
        )
        .catch(fail);
    }
    if (
      repo.encryptionConfiguration?.encryptionType &&
      repo.encryptionConfiguration.encryptionType !== "AES256"
    ) {
      // ECR cannot change a repository's encryption after creation; say so rather than recreate it.
      out.warn(
        `${def.repository} is encrypted with ${repo.encryptionConfiguration.encryptionType}, not AES256 (ECR cannot change it in place)`,
      );
    }
    if (tags.length && repo.repositoryArn) {
      await ecr.send(new TagResourceCommand({ resourceArn: repo.repositoryArn, tags })).catch(fail);
    }
  }

  const policy = lifecyclePolicyFor(def);
  const wanted = policyText(policy);
  let current: string | undefined;
  try {
    const res = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: def.repository }));
    current = res.lifecyclePolicyText;
  } catch (err) {
    if (errName(err) !== "LifecyclePolicyNotFoundException") fail(err);
  }
  const policyChanged = normalisePolicy(current) !== wanted;

  // Safety first: the policy (new or unchanged) must not expire anything a deployed stack uses,
  // counting the image this push adds (a 4th image pushes the oldest out of "keep 3").
  const now = new Date();
  const existing = await describeRepositoryImages(ctx, def.repository);
  const future = incoming ? withIncoming(existing, incoming, now) : existing;
  const expiries = evaluateLifecyclePolicy(policy, future, now);
  if (expiries.length) {
    const refs = await deployedDigestReferences(ctx);
    assertNothingInUseExpires(expiries, refs, where, def.file);
    out.info(`${def.repository}: the lifecycle policy will expire ${expiries.length} image(s), none in use`);
  }

  if (policyChanged) {
    if (config.profile.kind === "aws") await compareWithPreview(ctx, def.repository, policy, existing);
    out.info(`${def.repository}: applying lifecycle policy (${policy.rules.length} rules)`);
    await ecr
      .send(new PutLifecyclePolicyCommand({ repositoryName: def.repository, lifecyclePolicyText: wanted }))
      .catch(fail);
  }
  return { created, policyChanged };
}

function normalisePolicy(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    return policyText(JSON.parse(text) as LifecyclePolicy);
  } catch {
    return text;
  }
}

/**
 * ECR's own preview (AWS only; the emulator has none). Our evaluation stays the one that decides;
 * a disagreement is a warning so it gets noticed and the evaluator fixed.
 */
async function compareWithPreview(
  ctx: Context,
  repository: string,
  policy: LifecyclePolicy,
  images: RepositoryImage[],
): Promise<void> {
  const ecr = ctx.aws(ECRClient);
  try {
    await ecr.send(
      new StartLifecyclePolicyPreviewCommand({
        repositoryName: repository,
        lifecyclePolicyText: policyText(policy),
      }),
    );
    const result = await waitUntilLifecyclePolicyPreviewComplete(
      { client: ecr, maxWaitTime: 120 },
      { repositoryName: repository },
    );
    const preview = result.reason as GetLifecyclePolicyPreviewCommandOutput | undefined;
    const theirs = new Set(
      (preview?.previewResults ?? [])
        .filter((r) => r.action?.type === "EXPIRE" && r.imageDigest)
        .map((r) => r.imageDigest!),
    );
    const ours = new Set(evaluateLifecyclePolicy(policy, images).map((e) => e.digest));
    const onlyTheirs = [...theirs].filter((d) => !ours.has(d));
    const onlyOurs = [...ours].filter((d) => !theirs.has(d));
    if (onlyTheirs.length || onlyOurs.length) {
      ctx.out.warn(
        `${repository}: ECR's lifecycle preview disagrees with prebake's evaluation (only ECR expires: ${onlyTheirs.join(", ") || "none"}; only prebake: ${onlyOurs.join(", ") || "none"})`,
      );
    }
  } catch (err) {
    ctx.out.warn(`${repository}: ECR lifecycle preview unavailable (${firstLine(err)})`);
  }
}
