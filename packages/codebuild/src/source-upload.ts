/**
 * The committed tree uploaded to S3 as a zip, streamed from `git archive` through core's
 * uploadToS3 (multipart past 5 MB), never held in memory whole: the source of a pipeline's S3
 * action and of the image-rebuild project. The bucket is the stack's (versioned): never created here.
 */
import { Transform } from "node:stream";
import { type Context, formatBytes, hasUncommittedChanges, uploadToS3 } from "@prebake/core";
import { sourceArchive } from "./source-archive.ts";

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
  const dirty = await hasUncommittedChanges(ctx.config.rootDir);
  const archive = await sourceArchive(ctx.config.rootDir);
  if (dirty)
    ctx.out.warn(
      `uncommitted changes are not uploaded (the archive holds commit ${archive.commit.slice(0, 12)})`,
    );
  let bytes = 0;
  // Counted on the way through. A "data" listener on git's output would start it flowing before
  // the upload reads it (uploadToS3 loads the S3 SDK first), and those chunks would be lost.
  const counted = archive.stream.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  ctx.out.step(`uploading commit ${archive.commit.slice(0, 12)} to s3://${bucket}/${key}`);
  // When git fails the upload is stopped too (its multipart parts aborted), as when S3 fails.
  const stop = new AbortController();
  const uploading = uploadToS3(ctx, { bucket, key }, counted, {
    createBucket: false,
    contentType: "application/zip",
    signal: stop.signal,
  });
  try {
    const [{ versionId }] = await Promise.all([uploading, archive.done]);
    ctx.out.info(`uploaded ${formatBytes(bytes)}${versionId ? ` (version ${versionId})` : ""}`);
    return { bucket, key, commit: archive.commit, versionId, bytes, startedAt };
  } catch (err) {
    archive.cancel();
    stop.abort();
    throw err; // git's ConfigError, or the upload's error as core classified it
  }
}
