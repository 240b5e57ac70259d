/**
 * What `prebake promote <from> <to>` moves: for each stack with image parameters, the digests the
 * source environment's stack runs (read back from its parameters), against what the target's stack
 * runs now. Only digest-pinned values move: never a tag, never "latest", never a rebuild.
 * Read-only; every refusal comes before anything changes.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  ConfigError,
  type Context,
  classifyAwsError,
  listStacks,
  RefusedError,
  stackNameIn,
} from "@prebake/core";
import { deployableImageProblem, parsePinnedUri } from "@prebake/images";
import { readStackTemplate } from "@prebake/stack";
import { stackParameters } from "@prebake/stack/deployed";
import { sameTemplate } from "./can-skip.ts";
import { cloudFormationApi, type StackApi } from "./cfn-api.ts";
import { imageParameterMapping } from "./image-parameters.ts";

export interface ImageMove {
  parameter: string;
  /** The image project (images/<image>). */
  image: string;
  /** The digest-pinned uri the source environment runs: what is promoted. */
  uri: string;
  digest: string;
  /** What the target runs now (undefined: no stack yet, or no value). */
  current: string | undefined;
  change: "add" | "change" | "same";
}

export interface StackPromotion {
  /** The folder under stacks/. */
  stack: string;
  fromStackName: string;
  toStackName: string;
  moves: ImageMove[];
  /** The source stack runs another template than this checkout renders (a warning: the digests still move). */
  templateDiffers: boolean;
}

/**
 * The moves for one stack, from the two stacks' parameters. A source value that does not pin a
 * digest is refused (exit 9): it was never a tested image, or it would follow a moving tag. Pure.
 */
export function imageMoves(
  mapping: Record<string, string>,
  source: Stack,
  target: Stack | undefined,
  fromEnvironment: string,
): ImageMove[] {
  const from = stackParameters(source);
  const now = stackParameters(target);
  return Object.entries(mapping).map(([parameter, image]) => {
    const uri = from[parameter] ?? "";
    const pinned = parsePinnedUri(uri);
    if (!pinned) {
      throw new RefusedError(
        `${parameter} is '${uri || "(no value)"}', not an image pinned by digest: there is no tested image to promote`,
        {
          where: `stack ${source.StackName} (environment ${fromEnvironment})`,
          fix: `push the image (prebake push ${image}) and deploy it to ${fromEnvironment} first: prebake --env ${fromEnvironment} deploy <stack>`,
        },
      );
    }
    const current = now[parameter];
    const change = current === undefined ? "add" : current === uri ? "same" : "change";
    return { parameter, image, uri, digest: pinned.digest, current, change };
  });
}

/** The stacks a promotion covers: the named ones, else every stack that has image parameters. */
export function promotedStacks(rootDir: string, names: string[]): string[] {
  const hasImages = (name: string) =>
    Object.keys(imageParameterMapping(readStackTemplate(rootDir, name).template)).length > 0;
  if (names.length === 0) return listStacks(rootDir, "source-or-template").filter(hasImages);
  for (const name of names) {
    if (hasImages(name)) continue;
    throw new ConfigError(`stack ${name} has no image parameters: a promotion has nothing to move there`, {
      where: `stacks/${name}/stack.yaml: Metadata.Prebake.ImageParameters`,
      fix: `deploy it to the environment instead: prebake --env <env> deploy ${name}`,
    });
  }
  return [...new Set(names)];
}

/** A read of one environment's stacks: an unreachable endpoint or refused credentials as such (exit 5, 6). */
async function read<T>(ctx: Context, where: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, where);
  }
}

async function planStack(from: Context, to: Context, fromApi: StackApi, toApi: StackApi, stack: string) {
  const { template, body } = readStackTemplate(to.config.rootDir, stack);
  const fromStackName = stackNameIn(from.config, stack);
  const toStackName = stackNameIn(to.config, stack);
  const source = await read(from, `stack ${fromStackName}`, () => fromApi.describeStack(fromStackName));
  const fromEnvironment = from.config.environment.name;
  if (!source) {
    throw new RefusedError(`stack ${fromStackName} does not exist: there is nothing tested to promote`, {
      where: `environment ${fromEnvironment}`,
      fix: `deploy it there first: prebake --env ${fromEnvironment} deploy ${stack}`,
    });
  }
  const moves = imageMoves(
    imageParameterMapping(template),
    source,
    await toApi.describeStack(toStackName),
    fromEnvironment,
  );
  const templateDiffers = !sameTemplate(await fromApi.templateBody(fromStackName), body);
  return { stack, fromStackName, toStackName, moves, templateDiffers };
}

/**
 * Every digest must be deployable where it goes: in the registry the target's profile uses, not
 * archived, not about to be expired by its repository's lifecycle policy (@prebake/images' checks).
 */
async function confirmMoves(to: Context, plan: StackPromotion): Promise<void> {
  for (const move of plan.moves) {
    const problem = await deployableImageProblem(to, move.image, move.uri);
    if (!problem) continue;
    throw new RefusedError(`cannot promote ${move.parameter} of ${plan.fromStackName}: ${problem}`, {
      where: `stack ${plan.toStackName}`,
      fix: `push ${move.image} again (prebake push ${move.image}), deploy it to the source environment, test it, and promote again`,
    });
  }
}

/** Read both environments' stacks and confirm every digest; throws (exit 9) before anything changes. */
export async function planPromotion(from: Context, to: Context, stacks: string[]): Promise<StackPromotion[]> {
  const fromApi = cloudFormationApi(from.aws(CloudFormationClient));
  const toApi = cloudFormationApi(to.aws(CloudFormationClient));
  const plans: StackPromotion[] = [];
  for (const stack of stacks) plans.push(await planStack(from, to, fromApi, toApi, stack));
  for (const plan of plans) await confirmMoves(to, plan);
  return plans;
}
