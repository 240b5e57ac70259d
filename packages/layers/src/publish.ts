import { readFile } from "node:fs/promises";
import {
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  LambdaClient,
  type LayerVersionsListItem,
  PublishLayerVersionCommand,
  paginateListFunctions,
  paginateListLayerVersions,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import {
  awsErrorName,
  type Context,
  classifyAwsError,
  DeployFailedError,
  distPaths,
  firstLine,
  uploadBucket,
  uploadToS3,
  writeJsonAtomic,
} from "@prebake/core";
import type { BuiltLayer } from "./build.ts";
import { LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES, type LayerDefinition } from "./definition.ts";
import { ARCH_FACTS, PYTHON_RUNTIMES } from "./runtimes.ts";

/** The layer version's Description carries the zip's hash: that is how an unchanged layer is recognised. */
export const hashMarker = (sha256: string) => `sha256:${sha256}`;

export function layerDescription(def: Pick<LayerDefinition, "description">, sha256: string): string {
  const marker = `prebake ${hashMarker(sha256)}`;
  const text = def.description ? `${def.description} | ${marker}` : marker;
  // Lambda allows 256 characters; the marker (79) always survives, the free text is cut.
  return text.length <= 256 ? text : `${def.description!.slice(0, 256 - marker.length - 6)}... | ${marker}`;
}

export function hashFromDescription(description: string | undefined): string | undefined {
  return /sha256:([0-9a-f]{64})/.exec(description ?? "")?.[1];
}

export interface PublishedLayer {
  name: string;
  layerName: string;
  arch: string;
  layerArn: string;
  layerVersionArn: string;
  version: number;
  sha256: string;
  zippedBytes: number;
  unzippedBytes: number;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
  /** False when a version with the same hash already existed and nothing was published. */
  published: boolean;
  uploadedVia: "direct" | "s3" | "none";
  updatedFunctions: string[];
  publishedAt: string;
}

export interface PublishOptions {
  force?: boolean;
  updateFunctions?: boolean;
}

/** Every published version of a layer, newest first. */
export async function listVersions(
  lambda: LambdaClient,
  layerName: string,
): Promise<LayerVersionsListItem[]> {
  const all: LayerVersionsListItem[] = [];
  for await (const page of paginateListLayerVersions({ client: lambda }, { LayerName: layerName })) {
    all.push(...(page.LayerVersions ?? []));
  }
  return all.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
}

/** The layer version that already holds this exact zip (same content hash), if one exists. */
export async function publishedVersionOf(
  ctx: Context,
  built: BuiltLayer,
): Promise<LayerVersionsListItem | undefined> {
  try {
    const versions = await listVersions(ctx.aws(LambdaClient), built.layerName);
    return versions.find((v) => hashFromDescription(v.Description) === built.sha256);
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, `Lambda layer ${built.layerName}`);
  }
}

/**
 * Zips over Lambda's 50 MB direct-upload limit go through S3 (content-addressed by the zip's sha256),
 * published by the object's version: Lambda reads the zip that was uploaded, even if the key is
 * written again before PublishLayerVersion reads it.
 */
async function uploadZip(ctx: Context, def: LayerDefinition, built: BuiltLayer, body: Buffer) {
  const bucket = def.publish.s3Bucket ?? (await uploadBucket(ctx, "layers"));
  const { key, versionId } = await uploadToS3(
    ctx,
    { bucket, key: `layers/${built.layerName}/${built.sha256}.zip` },
    body,
  );
  return { S3Bucket: bucket, S3Key: key, S3ObjectVersion: versionId };
}

/** How long one function may take to finish an update (Lambda's own updates take seconds; VPC ones longer). */
export const FUNCTION_UPDATE_WAIT_SECONDS = 300;

/** Why the SDK's waiter gave up: its error message is its result as JSON (the last GetFunction answer on a failure). */
export function waiterFailure(err: unknown): string {
  let result: { state?: string; reason?: { Configuration?: FunctionConfiguration } } | undefined;
  try {
    result = JSON.parse((err as Error).message);
  } catch {
    return firstLine(err);
  }
  if (result?.state === "TIMEOUT") return `still in progress after ${FUNCTION_UPDATE_WAIT_SECONDS} s`;
  const config = result?.reason?.Configuration;
  if (!config?.LastUpdateStatus) return firstLine(err);
  const why = config.LastUpdateStatusReason ? `: ${config.LastUpdateStatusReason}` : "";
  return `LastUpdateStatus ${config.LastUpdateStatus}${why}`;
}

/**
 * Wait until the function's LastUpdateStatus is Successful. Lambda refuses a configuration update
 * while another is in progress (ResourceConflictException), and a layer change is one: so before an
 * update (a deploy or an earlier publish may still be updating it) and after it (the next publish,
 * or the check below, must see the finished state).
 */
async function waitForFunctionUpdate(lambda: LambdaClient, name: string, when: string): Promise<void> {
  try {
    await waitUntilFunctionUpdatedV2(
      { client: lambda, maxWaitTime: FUNCTION_UPDATE_WAIT_SECONDS, maxDelay: 10 },
      { FunctionName: name },
    );
  } catch (err) {
    throw new DeployFailedError(`function ${name} did not finish updating ${when} (${waiterFailure(err)})`, {
      where: `Lambda function ${name}`,
      fix: "look at the function in the Lambda console, fix what its last update reports, then publish again",
    });
  }
}

/** The function's layers with this layer's older version replaced by the new one, or undefined when it does not use it. */
export function layersAfterUpdate(
  layers: string[],
  layerArn: string,
  newVersionArn: string,
): string[] | undefined {
  const ofThisLayer = (arn: string) => arn.startsWith(`${layerArn}:`);
  if (!layers.some((a) => ofThisLayer(a) && a !== newVersionArn)) return undefined;
  return layers.map((a) => (ofThisLayer(a) ? newVersionArn : a));
}

/** Another writer changed the function between our read and our update. */
const isWriteConflict = (err: unknown) =>
  awsErrorName(err) === "PreconditionFailedException" || awsErrorName(err) === "ResourceConflictException";

/**
 * Point one function at the new layer version, keeping its other layers in order. The function is
 * read after the wait (which can last minutes), not taken from the ListFunctions snapshot, and the
 * update names the revision read (RevisionId): a deploy of the function in between, adding a layer,
 * makes Lambda refuse the update instead of prebake writing the old list back over it. On such a
 * conflict it starts once more from fresh state; a second one is exit 7. Returns false when the
 * function no longer uses an older version of the layer (someone moved it already).
 */
async function updateFunction(
  lambda: LambdaClient,
  name: string,
  layerArn: string,
  newVersionArn: string,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    await waitForFunctionUpdate(lambda, name, "before its layer update");
    const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const layers = layersAfterUpdate(
      (current.Layers ?? []).map((l) => l.Arn ?? ""),
      layerArn,
      newVersionArn,
    );
    if (!layers) return false;
    try {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Layers: layers,
          ...(current.RevisionId ? { RevisionId: current.RevisionId } : {}),
        }),
      );
      break;
    } catch (err) {
      if (!isWriteConflict(err)) throw err;
      if (attempt === 2)
        throw new DeployFailedError(
          `function ${name} changed again while its layers were being updated (${awsErrorName(err)}); nothing of ours was written`,
          {
            where: `Lambda function ${name}`,
            fix: "publish again once whatever is updating the function (a deploy?) has finished",
            cause: err,
          },
        );
    }
  }
  await waitForFunctionUpdate(lambda, name, `after its update to ${newVersionArn}`);
  const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  if (!(after.Layers ?? []).some((l) => l.Arn === newVersionArn)) {
    throw new DeployFailedError(`function ${name} still does not use ${newVersionArn} after the update`, {
      where: `Lambda function ${name}`,
      fix: "check the function's configuration and update it by hand",
    });
  }
  return true;
}

/**
 * Point functions that use an older version of this layer at the new one. ListFunctions only
 * finds them: what is written is decided from each function's state read just before its update.
 */
async function updateFunctions(ctx: Context, layerArn: string, newVersionArn: string): Promise<string[]> {
  const lambda = ctx.aws(LambdaClient);
  const updated: string[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) {
      const uses = layersAfterUpdate(
        (fn.Layers ?? []).map((l) => l.Arn ?? ""),
        layerArn,
        newVersionArn,
      );
      if (!uses || !fn.FunctionName) continue;
      if (!(await updateFunction(lambda, fn.FunctionName, layerArn, newVersionArn))) {
        ctx.out.info(
          `function ${fn.FunctionName} no longer uses an older version of the layer: left as it is`,
        );
        continue;
      }
      ctx.out.info(`updated function ${fn.FunctionName} -> ${newVersionArn}`);
      updated.push(fn.FunctionName);
    }
  }
  return updated;
}

/** What a published (or found) version says about a build: the fields both paths share. */
function publishedRecord(
  def: LayerDefinition,
  built: BuiltLayer,
  fields: Pick<
    PublishedLayer,
    | "layerArn"
    | "layerVersionArn"
    | "version"
    | "compatibleRuntimes"
    | "compatibleArchitectures"
    | "published"
    | "uploadedVia"
    | "publishedAt"
  >,
): PublishedLayer {
  return {
    name: def.name,
    layerName: built.layerName,
    arch: built.arch,
    sha256: built.sha256,
    zippedBytes: built.zippedBytes,
    unzippedBytes: built.unzippedBytes,
    updatedFunctions: [],
    ...fields,
  };
}

/** A version with this build's content hash, recorded as is: nothing is published. */
function unchangedVersion(
  ctx: Context,
  def: LayerDefinition,
  built: BuiltLayer,
  same: LayerVersionsListItem,
  compatible: { runtimes: string[]; architectures: string[] },
): PublishedLayer {
  ctx.out.success(
    `${built.layerName}: unchanged (sha256 ${built.sha256.slice(0, 12)} is version ${same.Version}), nothing published`,
  );
  return publishedRecord(def, built, {
    layerArn: same.LayerVersionArn!.replace(/:\d+$/, ""),
    layerVersionArn: same.LayerVersionArn!,
    version: same.Version!,
    compatibleRuntimes: same.CompatibleRuntimes ?? compatible.runtimes,
    compatibleArchitectures: same.CompatibleArchitectures ?? compatible.architectures,
    published: false,
    uploadedVia: "none",
    publishedAt: same.CreatedDate ?? new Date().toISOString(),
  });
}

/** PublishLayerVersion with the zip inline, or through S3 over Lambda's direct upload limit. */
async function publishVersion(
  ctx: Context,
  def: LayerDefinition,
  built: BuiltLayer,
  compatible: { runtimes: string[]; architectures: string[] },
): Promise<PublishedLayer> {
  const body = await readFile(built.zipPath);
  const viaS3 = body.length > LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES;
  const content = viaS3 ? await uploadZip(ctx, def, built, body) : { ZipFile: body };
  ctx.out.progress("publish", `publishing ${built.layerName} (${viaS3 ? "through S3" : "direct upload"})`);
  const res = await ctx.aws(LambdaClient).send(
    new PublishLayerVersionCommand({
      LayerName: built.layerName,
      Description: layerDescription(def, built.sha256),
      Content: content,
      CompatibleRuntimes: compatible.runtimes as never,
      CompatibleArchitectures: compatible.architectures as never,
      ...(def.publish.licenseInfo ? { LicenseInfo: def.publish.licenseInfo } : {}),
    }),
  );
  if (!res.LayerVersionArn || !res.LayerArn || res.Version === undefined) {
    throw new DeployFailedError("PublishLayerVersion returned no layer version ARN", {
      where: `Lambda layer ${built.layerName}`,
      fix: "check the layer in the Lambda console and publish again",
    });
  }
  ctx.out.success(`${built.layerName}: published version ${res.Version} (${res.LayerVersionArn})`);
  return publishedRecord(def, built, {
    layerArn: res.LayerArn,
    layerVersionArn: res.LayerVersionArn,
    version: res.Version,
    compatibleRuntimes: compatible.runtimes,
    compatibleArchitectures: compatible.architectures,
    published: true,
    uploadedVia: viaS3 ? "s3" : "direct",
    publishedAt: res.CreatedDate ?? new Date().toISOString(),
  });
}

/** One build: found unchanged or published, then (optionally) the functions moved to it. */
async function publishBuild(
  ctx: Context,
  def: LayerDefinition,
  built: BuiltLayer,
  options: PublishOptions,
): Promise<PublishedLayer> {
  const compatible = {
    runtimes: built.pythonVersions.map((v) => PYTHON_RUNTIMES[v]!.runtime),
    architectures: [ARCH_FACTS[built.arch].lambda],
  };
  const versions = await listVersions(ctx.aws(LambdaClient), built.layerName);
  const same = versions.find((v) => hashFromDescription(v.Description) === built.sha256);
  const published =
    same && !options.force
      ? unchangedVersion(ctx, def, built, same, compatible)
      : await publishVersion(ctx, def, built, compatible);
  if (options.updateFunctions) {
    published.updatedFunctions = await updateFunctions(ctx, published.layerArn, published.layerVersionArn);
    if (published.updatedFunctions.length === 0)
      ctx.out.info("no function uses an older version of this layer");
  }
  return published;
}

/**
 * Publish a built (and validated) layer unless a version with the same content hash exists;
 * records dist/layers/<name>.json either way.
 */
export async function publishLayer(
  ctx: Context,
  def: LayerDefinition,
  builds: BuiltLayer[],
  options: PublishOptions = {},
): Promise<PublishedLayer[]> {
  const { profile, rootDir } = ctx.config;
  const results: PublishedLayer[] = [];
  for (const built of builds) {
    try {
      results.push(await publishBuild(ctx, def, built, options));
    } catch (err) {
      throw classifyAwsError(err, profile, `Lambda layer ${built.layerName}`);
    }
  }
  await writeJsonAtomic(distPaths.layerManifest(rootDir, def.name), {
    name: def.name,
    profile: profile.name,
    layers: results,
  });
  return results;
}
