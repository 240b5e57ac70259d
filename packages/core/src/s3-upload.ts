/**
 * Every S3 upload prebake makes, in one place: a Lambda layer zip over 50 MB (PublishLayerVersion),
 * a CloudFormation template over 51,200 bytes (TemplateURL), and the committed tree streamed from
 * `git archive` as a pipeline's or the image-rebuild project's source. Bodies in memory go up in one
 * PutObject with a SHA-256 checksum; streams go through @aws-sdk/lib-storage (multipart past 5 MB),
 * never held in memory whole. Both use the context's S3 client (its deadlines) and report failures
 * through classifyAwsError naming s3://bucket/key.
 */
import type { Readable } from "node:stream";
import { classifyAwsError, isNotFound } from "./aws-errors.ts";
import type { Context } from "./context.ts";
import { formatBytes } from "./format.ts";

// The S3 SDK loads with the first upload, not with every prebake process (most never upload).
type S3Sdk = typeof import("@aws-sdk/client-s3");

export interface S3Object {
  bucket: string;
  key: string;
}

export interface S3UploadOptions {
  /**
   * Create the bucket when it does not exist yet (the default: prebake's own upload buckets are
   * made on first use). Off for a bucket a stack owns (versioned, with its notifications): a missing
   * one is an error to report, not something to make here.
   */
  createBucket?: boolean;
  contentType?: string;
  /** Stops a streamed upload, its multipart parts aborted (e.g. the stream's producer failed). */
  signal?: AbortSignal;
}

export interface S3Upload extends S3Object {
  /** The object's version in a versioned bucket. */
  versionId: string | undefined;
}

/**
 * prebake's own bucket for one kind of upload (layer zips, large templates): one per project,
 * account and region, made by the first upload into it.
 */
export function uploadBucket(ctx: Context, purpose: "layers" | "cfn-templates"): string {
  const { project, profile } = ctx.config;
  return `${project}-${purpose}-${profile.accountId ?? "account"}-${profile.region}`;
}

/** The object's https URL, as CloudFormation's TemplateURL takes it (virtual-hosted, regional). */
export const s3ObjectUrl = (region: string, { bucket, key }: S3Object) =>
  `https://${bucket}.s3.${region}.amazonaws.com/${key}`;

/**
 * Put `body` at bucket/key (creating the bucket first unless told not to); a stream is never held
 * whole. A stream must not be flowing yet (no "data" listener): it is read only once the S3 SDK
 * has loaded, and chunks it emits before that are lost. Count or transform it through a pipe.
 */
export async function uploadToS3(
  ctx: Context,
  target: S3Object,
  body: Buffer | string | Readable,
  options: S3UploadOptions = {},
): Promise<S3Upload> {
  const sdk = await import("@aws-sdk/client-s3");
  if (options.createBucket ?? true) await ensureBucket(sdk, ctx, target.bucket);
  const versionId =
    typeof body === "string" || Buffer.isBuffer(body)
      ? await putInOneRequest(sdk, ctx, target, body, options)
      : await streamUpload(sdk, ctx, target, body, options);
  return { ...target, versionId };
}

async function ensureBucket(
  { CreateBucketCommand, HeadBucketCommand, S3Client }: S3Sdk,
  ctx: Context,
  bucket: string,
): Promise<void> {
  const { profile } = ctx.config;
  const s3 = ctx.aws(S3Client);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isNotFound(err)) throw classifyAwsError(err, profile, `s3://${bucket}`);
    ctx.out.info(`creating bucket ${bucket} for uploads`);
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(profile.region === "us-east-1"
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: profile.region as never } }),
      }),
    );
  }
}

async function putInOneRequest(
  { PutObjectCommand, S3Client }: S3Sdk,
  ctx: Context,
  { bucket, key }: S3Object,
  body: Buffer | string,
  options: S3UploadOptions,
): Promise<string | undefined> {
  const size = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  ctx.out.progress("upload", `s3://${bucket}/${key} (${size} bytes)`);
  try {
    const put = await ctx.aws(S3Client).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ChecksumAlgorithm: "SHA256",
        ...(options.contentType ? { ContentType: options.contentType } : {}),
      }),
    );
    return put.VersionId;
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}/${key}`);
  }
}

async function streamUpload(
  { S3Client }: S3Sdk,
  ctx: Context,
  { bucket, key }: S3Object,
  body: Readable,
  options: S3UploadOptions,
): Promise<string | undefined> {
  const { Upload } = await import("@aws-sdk/lib-storage");
  const upload = new Upload({
    client: ctx.aws(S3Client),
    params: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
    },
  });
  upload.on("httpUploadProgress", (p) => {
    if (p.loaded !== undefined) ctx.out.progress("upload", formatBytes(p.loaded));
  });
  const stop = () => void upload.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    return (await upload.done()).VersionId;
  } catch (err) {
    await upload.abort().catch(() => undefined); // no half-done multipart upload left in the bucket
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}/${key}`);
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}
