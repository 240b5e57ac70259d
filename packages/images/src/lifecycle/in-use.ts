import { CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import { type Context, classifyAwsError, projectStackNames, RefusedError } from "@prebake/core";
import { deployedTemplateBody, describeDeployedStack, isLive } from "@prebake/stack/deployed";
import type { ImageLoss, RepositoryImage } from "./evaluate.ts";
import { type DeployedStack, type InUseReference, inUseReferences } from "./references.ts";

/** The stack by name, or undefined when there is none (never deployed, or deleted). */
async function describeByName(ctx: Context, name: string): Promise<Stack | undefined> {
  try {
    return await describeDeployedStack(ctx.aws(CloudFormationClient), name);
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, `CloudFormation DescribeStacks ${name}`);
  }
}

/**
 * The project's live stacks, asked for by name in every environment (core's projectStackNames):
 * the image-rebuild role may describe `stack/<project>-*` only, never every stack in the account.
 */
async function deployedStacks(ctx: Context): Promise<Stack[]> {
  const found = await inBatches(projectStackNames(ctx.config), (name) => describeByName(ctx, name));
  return found.filter(isLive);
}

/** `fn` over `items`, four at a time (a few calls in flight, not one per stack at once). */
async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 4)
    results.push(...(await Promise.all(items.slice(i, i + 4).map(fn))));
  return results;
}

/** The deployed template body of each stack (GetTemplate), a few at a time. */
async function templateBodies(ctx: Context, stacks: DeployedStack[]): Promise<Map<string, string>> {
  const cfn = ctx.aws(CloudFormationClient);
  const bodies = new Map<string, string>();
  const names = stacks.map((s) => s.StackName).filter((n): n is string => Boolean(n));
  const fetchOne = async (name: string) => {
    try {
      // Undefined: deleted between DescribeStacks and now, so it uses nothing any more.
      const body = await deployedTemplateBody(cfn, name);
      if (body) bodies.set(name, body);
    } catch (err) {
      throw classifyAwsError(err, ctx.config.profile, `CloudFormation GetTemplate ${name}`);
    }
  };
  await inBatches(names, fetchOne);
  return bodies;
}

/** What the in-use scan reads from CloudFormation: the live stacks and their deployed template bodies. */
export interface DeployedState {
  stacks: DeployedStack[];
  templateBodies: Map<string, string>;
}

/** Read the project's live stacks (DescribeStacks by name) and their deployed templates (GetTemplate). */
export async function readDeployedState(ctx: Context): Promise<DeployedState> {
  const stacks = await deployedStacks(ctx);
  return { stacks, templateBodies: await templateBodies(ctx, stacks) };
}

/**
 * What deployed stacks use of a repository: digests and tags (resolved against `images`) in their
 * parameter values, SSM parameters' resolved values, and their template bodies.
 */
export function referencesTo(
  state: DeployedState,
  repository: string,
  images: RepositoryImage[],
): Map<string, InUseReference[]> {
  return inUseReferences(state.stacks, state.templateBodies, repository, images);
}

/** "prebake-ci (parameter CodeBuildImage, by digest)" */
export function describeUsers(users: InUseReference[]): string {
  return users.map((u) => `${u.stack} (${u.where}, ${u.via})`).join(", ");
}

/** Refuse (exit 9) when the policy takes away an image a deployed stack uses; name the digest and the stack. */
export function assertNothingInUseLost(
  losses: ImageLoss[],
  refs: Map<string, InUseReference[]>,
  where: string,
  definitionFile: string,
): void {
  for (const loss of losses) {
    const users = refs.get(loss.digest);
    if (!users?.length) continue;
    const what = loss.action === "transition" ? "archive (archived images cannot be pulled)" : "expire";
    throw new RefusedError(
      `the lifecycle policy would ${what} ${loss.digest}${loss.tags.length ? ` [${loss.tags.join(", ")}]` : ""} (rule ${loss.rulePriority}), which deployed stack ${describeUsers(users)} uses`,
      {
        where,
        fix: `deploy ${users[0]!.stack} with a newer image first, or raise lifecycle.keepPerVersion in ${definitionFile}`,
      },
    );
  }
}
