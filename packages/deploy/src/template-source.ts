/**
 * How a template reaches CloudFormation: inline (TemplateBody) up to 51,200 bytes, through S3
 * (TemplateURL) above that, up to the 1 MB CloudFormation reads from S3. The S3 key is the body's
 * sha256, so a deploy of the same template writes the same object again and nothing is left to
 * clean up (the bucket keeps one object per distinct template, as the CDK's asset bucket does).
 */
import { createHash } from "node:crypto";
import { type Context, s3ObjectUrl, uploadBucket, uploadToS3 } from "@prebake/core";

/** The most CloudFormation accepts as TemplateBody. */
export const MAX_INLINE_TEMPLATE_BYTES = 51_200;
/** The most CloudFormation reads from a TemplateURL. */
export const MAX_S3_TEMPLATE_BYTES = 1_000_000;

export type TemplateSource = { body: string } | { url: string };

/** Puts a template body in S3 and returns its URL. */
export type TemplateUploader = (stackName: string, body: string) => Promise<string>;

/** The bucket prebake puts large templates in (core's uploadBucket). */
export const templateBucket = (ctx: Context): Promise<string> => uploadBucket(ctx, "cfn-templates");

export function s3TemplateUploader(ctx: Context): TemplateUploader {
  return async (stackName, body) => {
    const sha256 = createHash("sha256").update(body).digest("hex");
    const target = { bucket: await templateBucket(ctx), key: `templates/${stackName}/${sha256}.template` };
    // The URL names the uploaded version: CloudFormation reads that object, not a later one at the key.
    return s3ObjectUrl(ctx.config.profile.region, await uploadToS3(ctx, target, body));
  };
}

/** Inline when it fits, else uploaded. */
export async function templateSource(
  stackName: string,
  body: string,
  upload: TemplateUploader,
): Promise<TemplateSource> {
  if (Buffer.byteLength(body) <= MAX_INLINE_TEMPLATE_BYTES) return { body };
  return { url: await upload(stackName, body) };
}
