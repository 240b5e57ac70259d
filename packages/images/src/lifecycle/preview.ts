import {
  ECRClient,
  type LifecyclePolicyPreviewResult,
  paginateGetLifecyclePolicyPreview,
  StartLifecyclePolicyPreviewCommand,
  waitUntilLifecyclePolicyPreviewComplete,
} from "@aws-sdk/client-ecr";
import { type Context, firstLine, RefusedError } from "@prebake/core";
import type { ImageLoss } from "./evaluate.ts";
import { describeUsers } from "./in-use.ts";
import { type LifecyclePolicy, policyText } from "./policy.ts";
import type { InUseReference } from "./references.ts";

/** Where ECR's preview and prebake's evaluation disagree, by digest. */
export interface PreviewComparison {
  /** ECR expires or archives these; prebake does not. */
  onlyEcr: string[];
  /** prebake expects these to be lost; ECR's preview does not. */
  onlyPrebake: string[];
}

/**
 * Compare GetLifecyclePolicyPreview's previewResults (imageDigest, imageTags, imagePushedAt,
 * action.type EXPIRE | TRANSITION, appliedRulePriority, storageClass) with prebake's losses.
 * Both actions take an image away: an archived image cannot be pulled.
 */
export function comparePreview(
  previewResults: LifecyclePolicyPreviewResult[],
  ours: ImageLoss[],
): PreviewComparison {
  const theirs = new Set(
    previewResults
      .filter((r) => (r.action?.type === "EXPIRE" || r.action?.type === "TRANSITION") && r.imageDigest)
      .map((r) => r.imageDigest!),
  );
  const mine = new Set(ours.map((l) => l.digest));
  return {
    onlyEcr: [...theirs].filter((d) => !mine.has(d)).sort(),
    onlyPrebake: [...mine].filter((d) => !theirs.has(d)).sort(),
  };
}

/**
 * A disagreement that touches an image a deployed stack uses is a refusal (exit 9): one of the
 * two evaluations would take that image away, and we cannot tell which is right. Any other
 * disagreement is returned as a warning, so it gets noticed and the evaluator fixed.
 */
export function judgePreview(
  comparison: PreviewComparison,
  refs: Map<string, InUseReference[]>,
  where: string,
  definitionFile: string,
): string | undefined {
  const { onlyEcr, onlyPrebake } = comparison;
  for (const digest of [...onlyEcr, ...onlyPrebake]) {
    const users = refs.get(digest);
    if (!users?.length) continue;
    const who = onlyEcr.includes(digest) ? "ECR's lifecycle preview" : "prebake's evaluation";
    throw new RefusedError(
      `${who} alone would take away ${digest}, which deployed stack ${describeUsers(users)} uses; ECR and prebake disagree on this policy`,
      {
        where,
        fix: `deploy ${users[0]!.stack} with a newer image first, or raise lifecycle.keepPerVersion in ${definitionFile}`,
      },
    );
  }
  if (!onlyEcr.length && !onlyPrebake.length) return undefined;
  return `ECR's lifecycle preview disagrees with prebake's evaluation (only ECR: ${onlyEcr.join(", ") || "none"}; only prebake: ${onlyPrebake.join(", ") || "none"}); no image in use is affected`;
}

/**
 * ECR's own preview of a policy on the repository's current images (AWS only: the emulator has
 * none). Undefined, with a warning, when ECR cannot give one: prebake's evaluation still decides.
 */
export async function ecrLifecyclePreview(
  ctx: Context,
  repository: string,
  policy: LifecyclePolicy,
): Promise<LifecyclePolicyPreviewResult[] | undefined> {
  const ecr = ctx.aws(ECRClient);
  try {
    await ecr.send(
      new StartLifecyclePolicyPreviewCommand({
        repositoryName: repository,
        lifecyclePolicyText: policyText(policy),
      }),
    );
    await waitUntilLifecyclePolicyPreviewComplete(
      { client: ecr, maxWaitTime: 120 },
      { repositoryName: repository },
    );
    const results: LifecyclePolicyPreviewResult[] = [];
    for await (const page of paginateGetLifecyclePolicyPreview(
      { client: ecr },
      { repositoryName: repository },
    )) {
      results.push(...(page.previewResults ?? []));
    }
    return results;
  } catch (err) {
    ctx.out.warn(`${repository}: ECR lifecycle preview unavailable (${firstLine(err)})`);
    return undefined;
  }
}
