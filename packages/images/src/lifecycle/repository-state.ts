import { ECRClient, GetLifecyclePolicyCommand, paginateDescribeImages } from "@aws-sdk/client-ecr";
import { type Context, classifyAwsError, isNotFound } from "@prebake/core";
import type { RepositoryImage } from "./evaluate.ts";

/**
 * Every image of an ECR repository, archived ones included (DescribeImages lists only ACTIVE
 * images unless asked; the emulator ignores the filter and has no archive). A missing repository
 * has no images.
 */
export async function describeRepositoryImages(ctx: Context, repository: string): Promise<RepositoryImage[]> {
  const ecr = ctx.aws(ECRClient);
  const images: RepositoryImage[] = [];
  try {
    for await (const page of paginateDescribeImages(
      { client: ecr },
      { repositoryName: repository, filter: { imageStatus: "ANY" } },
    )) {
      for (const d of page.imageDetails ?? []) {
        if (!d.imageDigest) continue;
        images.push({
          digest: d.imageDigest,
          tags: d.imageTags ?? [],
          pushedAt: d.imagePushedAt ?? new Date(0),
          storageClass:
            d.imageStatus === "ARCHIVED" || d.imageStatus === "ACTIVATING" ? "archive" : "standard",
          ...(d.lastRecordedPullTime ? { lastPulledAt: d.lastRecordedPullTime } : {}),
          ...(d.lastArchivedAt ? { archivedAt: d.lastArchivedAt } : {}),
        });
      }
    }
  } catch (err) {
    if (isNotFound(err)) return [];
    throw classifyAwsError(err, ctx.config.profile, `ECR repository ${repository}`);
  }
  return images;
}

/** The lifecycle policy text ECR holds for a repository, or undefined when it has none. */
export async function currentPolicyText(ctx: Context, repository: string): Promise<string | undefined> {
  const ecr = ctx.aws(ECRClient);
  try {
    const res = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repository }));
    return res.lifecyclePolicyText;
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw classifyAwsError(err, ctx.config.profile, `ECR repository ${repository}`);
  }
}

/** The image a push is about to add, so the safety check sees the repository as it will be. */
export interface IncomingImage {
  tags: string[];
  /** Tags that move to the incoming image (and so leave whichever image holds them now). */
  movingTags: string[];
}

/** Stands for the image a push adds, in the evaluated repository (its digest is not known yet). */
export const INCOMING_DIGEST = "(the image being pushed)";

/** The repository as it will look right after the incoming image is pushed and tags moved. Pure. */
export function withIncoming(
  images: RepositoryImage[],
  incoming: IncomingImage,
  now: Date,
): RepositoryImage[] {
  if (images.some((i) => incoming.tags.some((t) => i.tags.includes(t) && !incoming.movingTags.includes(t)))) {
    return images; // the immutable tag is already there: nothing new is pushed
  }
  const moved = images.map((i) => ({ ...i, tags: i.tags.filter((t) => !incoming.movingTags.includes(t)) }));
  return [...moved, { digest: INCOMING_DIGEST, tags: incoming.tags, pushedAt: now }];
}
