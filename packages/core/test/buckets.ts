/** Test clean-up of a bucket prebake made: versioned, so every version and delete marker goes first. */
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

export async function deleteVersionedBucket(s3: S3Client, bucket: string): Promise<void> {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket })).catch(() => undefined);
  for (const v of [...(listed?.Versions ?? []), ...(listed?.DeleteMarkers ?? [])])
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}
