/**
 * Every S3 upload prebake makes, in one place: a Lambda layer zip over 50 MB (PublishLayerVersion),
 * a CloudFormation template over 51,200 bytes (TemplateURL), and the committed tree streamed from
 * `git archive` as a pipeline's or the image-rebuild project's source. Bodies in memory go up in one
 * PutObject with a SHA-256 checksum; streams go through @aws-sdk/lib-storage (multipart past 5 MB),
 * never held in memory whole. Both use the context's S3 client (its deadlines) and report failures
 * through classifyAwsError naming s3://bucket/key.
 */
import type { Readable } from "node:stream";
import { callerAccount } from "./account.ts";
import { awsErrorName, classifyAwsError, isNotFound } from "./aws-errors.ts";
import type { Context } from "./context.ts";
import { RefusedError } from "./errors.ts";
import { formatBytes } from "./format.ts";

// The S3 SDK loads with the first upload, not with every prebake process (most never upload).
type S3Sdk = typeof import("@aws-sdk/client-s3");

export interface S3Object {
  bucket: string;
  key: string;
}

export interface S3UploadOptions {
  /**
   * A bucket prebake looks after (the default): created when it does not exist yet, versioned, and
   * every upload has a version id. Off for a bucket a stack owns (versioned, with its notifications):
   * a missing one is an error to report, not something to make here; its owner is still checked.
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
 * account and region, made (versioned) by the first upload into it. The account is the caller's,
 * from STS: a name built without it would be the same for every user of the project name, and
 * whoever made it first would receive everyone's templates and layers.
 */
export async function uploadBucket(ctx: Context, purpose: "layers" | "cfn-templates"): Promise<string> {
  const { project, profile } = ctx.config;
  return `${project}-${purpose}-${await callerAccount(ctx)}-${profile.region}`;
}

/**
 * The object's https URL, as CloudFormation's TemplateURL takes it (virtual-hosted, regional),
 * naming its version when it has one: what CloudFormation reads is the object that was uploaded,
 * not whatever is at the key by then.
 */
export const s3ObjectUrl = (
  region: string,
  { bucket, key, versionId }: S3Object & { versionId?: string | undefined },
) =>
  `https://${bucket}.s3.${region}.amazonaws.com/${key}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;

/**
 * Put `body` at bucket/key; a stream is never held whole. A stream must not be flowing yet (no
 * "data" listener): it is read only once the S3 SDK has loaded, and chunks it emits before that are
 * lost. Count or transform it through a pipe.
 *
 * Every S3 call names the caller's account as ExpectedBucketOwner, and the bucket is checked first
 * (HeadBucket): a bucket of another account is refused (exit 9) before a byte goes up, since what is
 * written there can be swapped before Lambda or CloudFormation reads it. With `createBucket` (the
 * default: a bucket prebake looks after) a missing bucket is made, and versioning is turned on, so
 * the upload's version id pins what is read back; the upload then always has one.
 */
export async function uploadToS3(
  ctx: Context,
  target: S3Object,
  body: Buffer | string | Readable,
  options: S3UploadOptions = {},
): Promise<S3Upload> {
  const sdk = await import("@aws-sdk/client-s3");
  const owner = await callerAccount(ctx);
  const managed = options.createBucket ?? true;
  await checkBucket(sdk, ctx, target.bucket, owner, managed);
  const versionId =
    typeof body === "string" || Buffer.isBuffer(body)
      ? await putInOneRequest(sdk, ctx, target, owner, body, options)
      : await streamUpload(sdk, ctx, target, owner, body, options);
  if (managed && !versionId) {
    throw new RefusedError("the upload has no version id, so what is read back could be another object", {
      where: `s3://${target.bucket}/${target.key}`,
      fix: `turn versioning on for bucket ${target.bucket} (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled)`,
    });
  }
  return { ...target, versionId };
}

const statusOf = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** S3's answer when ExpectedBucketOwner is not the bucket's owner: 403, as for a bucket that refuses us. */
function foreignBucket(bucket: string, owner: string, err?: unknown): RefusedError {
  return new RefusedError(
    `bucket ${bucket} is not account ${owner}'s (or refuses these credentials); nothing was uploaded`,
    {
      where: `s3://${bucket}`,
      fix:
        `if the bucket is account ${owner}'s, let these credentials s3:ListBucket it; if not, its name is taken: ` +
        "use a bucket of your own account (another project name, or layer.yaml's publish.s3Bucket)",
      cause: err,
    },
  );
}

/** The bucket exists and is the caller's; a managed one is made if missing, and versioned. */
async function checkBucket(
  sdk: S3Sdk,
  ctx: Context,
  bucket: string,
  owner: string,
  managed: boolean,
): Promise<void> {
  const { CreateBucketCommand, HeadBucketCommand, S3Client } = sdk;
  const { profile } = ctx.config;
  const s3 = ctx.aws(S3Client);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: owner }));
  } catch (err) {
    if (statusOf(err) === 403) throw foreignBucket(bucket, owner, err);
    if (!managed || !isNotFound(err)) throw classifyAwsError(err, profile, `s3://${bucket}`);
    ctx.out.info(`creating bucket ${bucket} for uploads`);
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(profile.region === "us-east-1"
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: profile.region as never } }),
        }),
      );
    } catch (createErr) {
      // Made by someone else between the two calls (or long ago, in another region's namespace).
      if (awsErrorName(createErr) === "BucketAlreadyExists") throw foreignBucket(bucket, owner, createErr);
      if (awsErrorName(createErr) !== "BucketAlreadyOwnedByYou")
        throw classifyAwsError(createErr, profile, `s3://${bucket}`);
    }
  }
  if (managed) await ensureVersioning(sdk, ctx, bucket, owner);
}

async function ensureVersioning(
  { GetBucketVersioningCommand, PutBucketVersioningCommand, S3Client }: S3Sdk,
  ctx: Context,
  bucket: string,
  owner: string,
): Promise<void> {
  const s3 = ctx.aws(S3Client);
  try {
    const { Status } = await s3.send(
      new GetBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: owner }),
    );
    if (Status === "Enabled") return;
    ctx.out.info(`turning versioning on for bucket ${bucket} (uploads are read back by version)`);
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        ExpectedBucketOwner: owner,
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
  } catch (err) {
    if (statusOf(err) === 403) throw foreignBucket(bucket, owner, err);
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}`);
  }
}

async function putInOneRequest(
  { PutObjectCommand, S3Client }: S3Sdk,
  ctx: Context,
  { bucket, key }: S3Object,
  owner: string,
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
        ExpectedBucketOwner: owner,
        ChecksumAlgorithm: "SHA256",
        ...(options.contentType ? { ContentType: options.contentType } : {}),
      }),
    );
    return put.VersionId;
  } catch (err) {
    if (statusOf(err) === 403) throw foreignBucket(bucket, owner, err);
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}/${key}`);
  }
}

async function streamUpload(
  { S3Client }: S3Sdk,
  ctx: Context,
  { bucket, key }: S3Object,
  owner: string,
  body: Readable,
  options: S3UploadOptions,
): Promise<string | undefined> {
  const { Upload } = await import("@aws-sdk/lib-storage");
  // lib-storage passes the params to every call of a multipart upload (create, parts, complete).
  const upload = new Upload({
    client: ctx.aws(S3Client),
    params: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ExpectedBucketOwner: owner,
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
    if (statusOf(err) === 403) throw foreignBucket(bucket, owner, err);
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}/${key}`);
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}
