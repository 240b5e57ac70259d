/**
 * The committed tree streamed to S3 (the source of a pipeline run and of the image-rebuild project),
 * against the shared moto: the object must be exactly the bytes `git archive` gives for HEAD, also
 * when the archive is bigger than one multipart part (5 MB), and the size reported must be the
 * object's. (A stream put in flowing mode before the upload reads it would lose chunks; here the
 * S3 SDK is already loaded by the test, so that race does not show: source-upload.ts avoids it by
 * counting through a Transform, which does not flow until read.)
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createContext } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { uploadSourceArchive } from "../src/source-upload.ts";

const root = mkdtempSync(join(tmpdir(), "prebake-source-upload-"));
const git = (...args: string[]) => execFileSync("git", args, { cwd: root, maxBuffer: 64 << 20 });
writeFileSync(join(root, "prebake.config.yaml"), "profile: local\nproject: srcup\n");
writeFileSync(join(root, "hello.txt"), "from the commit\n");
// Random bytes do not compress: the zip is over one 5 MB part, so the upload is multipart.
writeFileSync(join(root, "blob.bin"), randomBytes(7 * 1024 * 1024));
git("init", "-q");
git("add", ".");
git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "source");

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("uploadSourceArchive", () => {
  it("puts exactly git archive's zip of HEAD in the bucket (multipart), and reports its size", async () => {
    const ctx = createContext({ cwd: root, quiet: true, env: {} });
    const s3 = ctx.aws(S3Client);
    const bucket = `prebake-srcup-${randomBytes(3).toString("hex")}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const uploaded = await uploadSourceArchive(ctx, bucket, "source.zip");

    const expected = git("archive", "--format=zip", "HEAD");
    expect(expected.length).toBeGreaterThan(5 * 1024 * 1024);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "source.zip" }));
    const body = Buffer.from(await object.Body!.transformToByteArray());
    expect(body.length).toBe(expected.length);
    expect(sha256(body)).toBe(sha256(expected));
    expect(uploaded.bytes).toBe(expected.length);
    expect(uploaded.commit).toBe(git("rev-parse", "HEAD").toString().trim());
  });
});
