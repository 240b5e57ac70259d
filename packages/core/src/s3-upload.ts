/**
 * Uploads that AWS APIs read from S3 instead of the request body: a Lambda layer zip over 50 MB
 * (PublishLayerVersion) and a CloudFormation template over 51,200 bytes (TemplateURL). One place
 * creates the bucket on first use and writes the object; keys are content-addressed by the
 * callers, so an upload of the same content lands on the same key and nothing needs cleaning up.
 */
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { classifyAwsError } from "./aws.ts";
import type { Context } from "./context.ts";

export interface S3Object {
  bucket: string;
  key: string;
}

/** The object's https URL, as CloudFormation's TemplateURL takes it (virtual-hosted, regional). */
export const s3ObjectUrl = (region: string, { bucket, key }: S3Object) =>
  `https://${bucket}.s3.${region}.amazonaws.com/${key}`;

/** Put `body` at bucket/key, creating the bucket when it does not exist yet. */
export async function uploadToS3(ctx: Context, target: S3Object, body: Buffer | string): Promise<S3Object> {
  const { profile } = ctx.config;
  const { bucket, key } = target;
  const s3 = ctx.aws(S3Client);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw classifyAwsError(err, profile, `s3://${bucket}`);
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
  const size = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  ctx.out.progress("upload", `s3://${bucket}/${key} (${size} bytes)`);
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: "SHA256" }),
    );
  } catch (err) {
    throw classifyAwsError(err, profile, `s3://${bucket}/${key}`);
  }
  return target;
}
