/**
 * `prebake status`: where one environment stands, from read-only calls. Each image parameter (the
 * digest deployed, the newest pushed for its line, where the digest came from), each stack (its
 * status, and the drift of template, parameters and tags against what a deploy would send now with
 * the images it runs: canSkip's comparison), and each layer (@prebake/layers). Nothing is created, changed or deleted.
 */
import { CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import {
  assertEnvironmentAccount,
  type Context,
  classifyAwsError,
  isPrebakeError,
  listStacks,
  stackNameIn,
} from "@prebake/core";
import {
  imageDefinitionExists,
  type NewestPushedImage,
  newestPushedImage,
  parsePinnedUri,
} from "@prebake/images";
import type { LayerStatus } from "@prebake/layers";
import { readStackTemplate } from "@prebake/stack";
import { stackParameters } from "@prebake/stack/deployed";
import { deployedStateOf, describeReason, desiredStateOf, stateDifferences } from "./can-skip.ts";
import { cloudFormationApi, type StackApi } from "./cfn-api.ts";
import { type ImageParameterValue, imageParameterMapping } from "./image-parameters.ts";
import { imageOrigins, withCarriedOrigins } from "./origins.ts";
import { prepare } from "./prepare.ts";

export type ImageState = "newest" | "older" | "not pinned" | "never pushed" | "not deployed";

export interface ImageStatus {
  stack: string;
  parameter: string;
  image: string;
  /** The value the stack runs (undefined: not deployed). */
  deployed: string | undefined;
  deployedDigest: string | undefined;
  newest: NewestPushedImage | undefined;
  /** The environment the deployed digest was promoted from (a prebake:origin tag that still holds). */
  promotedFrom: string | undefined;
  state: ImageState;
}

export interface StackStatus {
  stack: string;
  stackName: string;
  /** CloudFormation's status, or NOT_DEPLOYED. */
  status: string;
  /** What a deploy would change (template, parameters, tags); empty: in sync. */
  drift: string[];
  /** Why the comparison could not be made (e.g. a stale image record), when it could not. */
  problem?: string;
}

export interface EnvironmentStatus {
  environment: string;
  profile: string;
  region: string;
  images: ImageStatus[];
  stacks: StackStatus[];
  layers: LayerStatus[];
}

/** One image parameter's state. Pure. */
export function imageState(deployed: string | undefined, newest: NewestPushedImage | undefined): ImageState {
  if (deployed === undefined) return "not deployed";
  const digest = parsePinnedUri(deployed)?.digest;
  if (!digest) return "not pinned";
  if (!newest) return "never pushed";
  return digest === newest.digest ? "newest" : "older";
}

/**
 * The image values the stack runs, as deploy options: drift is about template, parameters and tags;
 * whether a newer image exists is the images table's question (a deploy outside a protected
 * environment would also move the image, which `prebake deploy --dry-run` shows).
 */
function deployedImages(stack: Stack, mapping: Record<string, string>): ImageParameterValue[] {
  const values = stackParameters(stack);
  return Object.entries(mapping).flatMap(([parameter, image]) => {
    const uri = values[parameter];
    return uri ? [{ parameter, image, uri, source: `deployed stack ${stack.StackName}` }] : [];
  });
}

/** The drift of a deployed stack against what a deploy would send now (canSkip's reasons). */
async function stackDrift(ctx: Context, api: StackApi, name: string, stack: Stack): Promise<string[]> {
  const mapping = imageParameterMapping(readStackTemplate(ctx.config.rootDir, name).template);
  const images = deployedImages(stack, mapping);
  const prepared = withCarriedOrigins(await prepare(ctx, name, { lint: false, images }), stack);
  const body = await api.templateBody(prepared.stackName);
  return stateDifferences(desiredStateOf(prepared), deployedStateOf(stack, body)).map(describeReason);
}

async function statusOfStack(ctx: Context, api: StackApi, name: string, stack: Stack | undefined) {
  const stackName = stackNameIn(ctx.config, name);
  if (!stack) return { stack: name, stackName, status: "NOT_DEPLOYED", drift: [] };
  const status = stack.StackStatus ?? "?";
  try {
    return { stack: name, stackName, status, drift: await stackDrift(ctx, api, name, stack) };
  } catch (err) {
    // A stale image record or a bad template says why there is no comparison; the table goes on.
    if (!isPrebakeError(err) || err.exitCode === 5 || err.exitCode === 6) throw err;
    return { stack: name, stackName, status, drift: [], problem: err.toLine() };
  }
}

function imagesOfStack(
  name: string,
  stack: Stack | undefined,
  newest: Map<string, NewestPushedImage | undefined>,
  mapping: Record<string, string>,
): ImageStatus[] {
  const values = stackParameters(stack);
  const origins = imageOrigins(stack?.Tags ?? []);
  return Object.entries(mapping).map(([parameter, image]) => {
    const deployed = values[parameter] || undefined;
    const deployedDigest = deployed ? parsePinnedUri(deployed)?.digest : undefined;
    const origin = origins.find((o) => o.parameter === parameter && o.digest === deployedDigest);
    const latest = newest.get(image);
    return {
      stack: name,
      parameter,
      image,
      deployed,
      deployedDigest,
      newest: latest,
      promotedFrom: origin?.environment,
      state: imageState(deployed, latest),
    };
  });
}

export async function environmentStatus(ctx: Context): Promise<EnvironmentStatus> {
  const { config } = ctx;
  await assertEnvironmentAccount(ctx);
  const api = cloudFormationApi(ctx.aws(CloudFormationClient));
  const names = listStacks(config.rootDir, "source-or-template");
  // Every question is a read-only call that waits on AWS or the registry: the stacks, the images
  // and the layers are asked at once, and the rows keep the stacks' order.
  const stackRows = async () => {
    const perStack = await Promise.all(
      names.map(async (name) => {
        const stackName = stackNameIn(config, name);
        const deployed = await readOnly(ctx, stackName, () => api.describeStack(stackName));
        const status = await readOnly(ctx, stackName, () => statusOfStack(ctx, api, name, deployed));
        const mapping = imageParameterMapping(readStackTemplate(config.rootDir, name).template);
        return { name, deployed, status, mapping };
      }),
    );
    const imageNames = [...new Set(perStack.flatMap((s) => Object.values(s.mapping)))];
    const newest = new Map<string, NewestPushedImage | undefined>(
      await Promise.all(
        imageNames.map(
          async (image) =>
            [
              image,
              imageDefinitionExists(config.rootDir, image) ? await newestPushedImage(ctx, image) : undefined,
            ] as const,
        ),
      ),
    );
    return {
      stacks: perStack.map((s) => s.status),
      images: perStack.flatMap((s) => imagesOfStack(s.name, s.deployed, newest, s.mapping)),
    };
  };
  const [{ stacks, images }, layers] = await Promise.all([stackRows(), layerRows(ctx)]);
  return {
    environment: config.environment.name,
    profile: config.profile.name,
    region: config.profile.region,
    images,
    stacks,
    layers,
  };
}

async function readOnly<T>(ctx: Context, stackName: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, `stack ${stackName}`);
  }
}

/** Loaded on use: deploy and promote do not need the layers package (or its Lambda client) loaded. */
async function layerRows(ctx: Context): Promise<LayerStatus[]> {
  const { layerStatus } = await import("@prebake/layers");
  return layerStatus(ctx);
}
