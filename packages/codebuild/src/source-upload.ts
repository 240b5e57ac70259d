/**
 * The committed tree uploaded to S3 as a zip, streamed from `git archive` through
 * @aws-sdk/lib-storage (multipart past 5 MB), never held in memory whole: the source of a
 * pipeline's S3 action and of the image-rebuild project.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type Context, classifyAwsError, formatBytes } from "@prebake/core";
import { hasUncommittedChanges, sourceArchive } from "./source-archive.ts";

export interface UploadedSource {
  bucket: string;
  key: string;
  commit: string;
  /** The object's version (versioned buckets): what a pipeline execution names as its source revision. */
  versionId: string | undefined;
  bytes: number;
  /** When the upload started (an execution it triggers starts after this). */
  startedAt: Date;
}

export async function uploadSourceArchive(
  ctx: Context,
  bucket: string,
  key: string,
): Promise<UploadedSource> {
  const startedAt = new Date();
  const archive = sourceArchive(ctx.config.rootDir);
  if (hasUncommittedChanges(ctx.config.rootDir))
    ctx.out.warn(
      `uncommitted changes are not uploaded (the archive holds commit ${archive.commit.slice(0, 12)})`,
    );
  let bytes = 0;
  archive.stream.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  ctx.out.step(`uploading commit ${archive.commit.slice(0, 12)} to s3://${bucket}/${key}`);
  const upload = new Upload({
    client: ctx.aws(S3Client),
    params: { Bucket: bucket, Key: key, Body: archive.stream, ContentType: "application/zip" },
  });
  upload.on("httpUploadProgress", (p) => {
    if (p.loaded !== undefined) ctx.out.progress("upload", formatBytes(p.loaded));
  });
  try {
    const [result] = await Promise.all([upload.done(), archive.done]);
    ctx.out.info(`uploaded ${formatBytes(bytes)}${result.VersionId ? ` (version ${result.VersionId})` : ""}`);
    return { bucket, key, commit: archive.commit, versionId: result.VersionId, bytes, startedAt };
  } catch (err) {
    archive.cancel();
    await upload.abort().catch(() => undefined); // no half-done multipart upload left in the bucket
    throw classifyAwsError(err, ctx.config.profile, `s3://${bucket}/${key}`);
  }
}
