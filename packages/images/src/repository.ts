import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
  TagResourceCommand,
} from "@aws-sdk/client-ecr";
import { type Context, classifyAwsError, isNotFound } from "@prebake/core";
import type { ImageDefinition } from "./definition.ts";
import {
  assertPolicySafe,
  currentPolicyText,
  describeRepositoryImages,
  type IncomingImage,
  lifecyclePolicyFor,
  parsePolicyText,
  policyText,
} from "./lifecycle/index.ts";
import { mutableTagFilters } from "./plan.ts";

/** What every step of the reconciliation needs. */
interface Reconcile {
  ctx: Context;
  ecr: ECRClient;
  def: ImageDefinition;
  fail: (err: unknown) => never;
  exclusionFilters: { filterType: "WILDCARD"; filter: string }[];
  tags: { Key: string; Value: string }[];
}

/**
 * Bring the repository in line with the definition, the way a hand-written ECR script would, but through
 * the ECR API so the emulator and AWS behave the same: create if missing, scan on push, AES256,
 * tags, tag immutability with the moving tags excluded, and the lifecycle policy (after the
 * in-use safety check, which may refuse with exit 9 before anything is pushed).
 */
export async function reconcileRepository(
  ctx: Context,
  def: ImageDefinition,
  incoming: IncomingImage | undefined,
): Promise<{ created: boolean; policyChanged: boolean }> {
  const { config } = ctx;
  const r: Reconcile = {
    ctx,
    ecr: ctx.aws(ECRClient),
    def,
    fail: (err) => {
      throw classifyAwsError(err, config.profile, `ECR repository ${def.repository}`);
    },
    exclusionFilters: mutableTagFilters(def).map((filter) => ({ filterType: "WILDCARD" as const, filter })),
    tags: Object.entries({ ...config.tags, ...def.repositoryTags }).map(([Key, Value]) => ({ Key, Value })),
  };
  const existing = await findRepository(r);
  if (existing) await alignRepository(r, existing);
  else await createRepository(r);
  const policyChanged = await applyLifecyclePolicy(r, incoming);
  return { created: !existing, policyChanged };
}

async function findRepository(r: Reconcile): Promise<Repository | undefined> {
  try {
    const res = await r.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [r.def.repository] }));
    return res.repositories?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    return r.fail(err);
  }
}

async function createRepository(r: Reconcile): Promise<void> {
  r.ctx.out.info(`creating repository ${r.def.repository}`);
  await r.ecr
    .send(
      new CreateRepositoryCommand({
        repositoryName: r.def.repository,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "AES256" },
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: r.exclusionFilters,
        ...(r.tags.length ? { tags: r.tags } : {}),
      }),
    )
    .catch(r.fail);
}

/** An existing repository: scan on push, tag immutability, tags; encryption cannot change in place. */
async function alignRepository(r: Reconcile, repo: Repository): Promise<void> {
  const { ecr, def, fail } = r;
  const { out } = r.ctx;
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
  const wantFilters = r.exclusionFilters.map((f) => f.filter).sort();
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
          imageTagMutabilityExclusionFilters: r.exclusionFilters,
        }),
      )
      .catch(fail);
  }
  const encryption = repo.encryptionConfiguration?.encryptionType;
  if (encryption && encryption !== "AES256") {
    // ECR cannot change a repository's encryption after creation; say so rather than recreate it.
    out.warn(`${def.repository} is encrypted with ${encryption}, not AES256 (ECR cannot change it in place)`);
  }
  if (r.tags.length && repo.repositoryArn && (await tagsDiffer(r, repo.repositoryArn))) {
    await ecr.send(new TagResourceCommand({ resourceArn: repo.repositoryArn, tags: r.tags })).catch(fail);
  }
}

/** Whether a wanted tag is missing or has another value (a no-op push only reads). */
async function tagsDiffer(r: Reconcile, resourceArn: string): Promise<boolean> {
  const res = await r.ecr.send(new ListTagsForResourceCommand({ resourceArn })).catch(r.fail);
  const have = new Map((res.tags ?? []).map((t) => [t.Key, t.Value]));
  return r.tags.some((t) => have.get(t.Key) !== t.Value);
}

/** The definition's lifecycle policy, applied only after the safety check; returns whether it changed. */
async function applyLifecyclePolicy(r: Reconcile, incoming: IncomingImage | undefined): Promise<boolean> {
  const { ctx, def } = r;
  const policy = lifecyclePolicyFor(def);
  const wanted = policyText(policy);
  const current = await currentPolicyText(ctx, def.repository);
  const currentPolicy = parsePolicyText(current);
  const policyChanged = (currentPolicy ? policyText(currentPolicy) : current) !== wanted;

  // Safety first: the policy (new or unchanged) must not expire or archive anything a deployed
  // stack uses, counting the image this push adds (a 4th image pushes the oldest out of "keep 3").
  await assertPolicySafe(ctx, {
    def,
    policy,
    existing: await describeRepositoryImages(ctx, def.repository),
    incoming,
    preview: policyChanged && ctx.config.profile.kind === "aws",
  });

  if (policyChanged) {
    ctx.out.info(`${def.repository}: applying lifecycle policy (${policy.rules.length} rules)`);
    await r.ecr
      .send(new PutLifecyclePolicyCommand({ repositoryName: def.repository, lifecyclePolicyText: wanted }))
      .catch(r.fail);
  }
  return policyChanged;
}
