import type { Context } from "@prebake/core";
import type { ImageDefinition } from "../definition.ts";
import { evaluateLifecyclePolicy, type RepositoryImage } from "./evaluate.ts";
import { assertNothingInUseLost, type DeployedState, readDeployedState, referencesTo } from "./in-use.ts";
import type { LifecyclePolicy } from "./policy.ts";
import { comparePreview, ecrLifecyclePreview, judgePreview } from "./preview.ts";
import { type IncomingImage, withIncoming } from "./repository-state.ts";

export interface PolicySafetyInput {
  def: ImageDefinition;
  policy: LifecyclePolicy;
  /** The repository's images now (DescribeImages). */
  existing: RepositoryImage[];
  /** What a push is about to add; the check then sees the repository as it will be. */
  incoming: IncomingImage | undefined;
  /** Ask ECR's preview for a second opinion (aws profile, when the policy changes). */
  preview: boolean;
}

/**
 * The lifecycle safety check a push runs before it applies a policy or adds an image: the policy
 * must not expire or archive an image a deployed stack uses (conservative reading, counting the
 * incoming image), and ECR's preview, when asked, must not disagree about such an image.
 * Refuses with exit 9 before anything is changed.
 */
export async function assertPolicySafe(ctx: Context, input: PolicySafetyInput): Promise<void> {
  const { def, policy, existing, incoming } = input;
  const where = `ECR repository ${def.repository}`;
  const now = new Date();
  const future = incoming ? withIncoming(existing, incoming, now) : existing;
  // CloudFormation is read only when something is at stake (at most once).
  let deployed: DeployedState | undefined;
  const state = async () => {
    deployed ??= await readDeployedState(ctx);
    return deployed;
  };

  const losses = evaluateLifecyclePolicy(policy, future, now);
  if (losses.length) {
    assertNothingInUseLost(losses, referencesTo(await state(), def.repository, future), where, def.file);
    ctx.out.info(
      `${def.repository}: the lifecycle policy will take away ${losses.length} image(s), none in use`,
    );
  }
  if (!input.preview) return;
  const preview = await ecrLifecyclePreview(ctx, def.repository, policy);
  if (!preview) return;
  // ECR previews the repository as it is now, so compare on that.
  const comparison = comparePreview(preview, evaluateLifecyclePolicy(policy, existing, now));
  if (!comparison.onlyEcr.length && !comparison.onlyPrebake.length) return;
  const refs = referencesTo(await state(), def.repository, existing);
  const warning = judgePreview(comparison, refs, where, def.file);
  if (warning) ctx.out.warn(`${def.repository}: ${warning}`);
}
