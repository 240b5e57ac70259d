/**
 * A layer zip over Lambda's 50 MB direct-upload limit is published through S3 (S3Bucket/S3Key),
 * against the shared moto; a small one goes inline. The zips are made here (random, so they do
 * not compress below the limit) and published with publishLayer, as the pipeline does after its
 * build and validation. Everything made (bucket, object, layer versions) is removed afterwards.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteLayerVersionCommand,
  GetLayerVersionCommand,
  LambdaClient,
  ListLayerVersionsCommand,
} from "@aws-sdk/client-lambda";
import {
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { type Context, createContext } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { deleteVersionedBucket } from "../../core/test/buckets.ts";
import type { BuiltLayer } from "../src/build.ts";
import { LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES, parseLayerDefinition } from "../src/definition.ts";
import { publishLayer } from "../src/publish.ts";
import { deterministicZip } from "../src/zip.ts";

const id = randomBytes(3).toString("hex");
const root = mkdtempSync(join(tmpdir(), "prebake-layer-s3-"));
const BUCKET = `prebake-layer-s3-test-${id}`;
const layerNames: string[] = [];
let ctx: Context;

afterAll(async () => {
  if (ctx) {
    const lambda = ctx.aws(LambdaClient);
    for (const name of layerNames) {
      const listed = await lambda
        .send(new ListLayerVersionsCommand({ LayerName: name }))
        .catch(() => undefined);
      for (const v of listed?.LayerVersions ?? [])
        await lambda.send(new DeleteLayerVersionCommand({ LayerName: name, VersionNumber: v.Version! }));
    }
    await deleteVersionedBucket(ctx.aws(S3Client), BUCKET);
  }
  rmSync(root, { recursive: true, force: true });
});

/** A built layer whose zip holds `bytes` random bytes under python/. */
async function builtLayer(layerName: string, bytes: number): Promise<BuiltLayer> {
  const dir = join(root, layerName);
  mkdirSync(join(dir, "python"), { recursive: true });
  writeFileSync(join(dir, "python", "blob.bin"), randomBytes(bytes));
  const zip = await deterministicZip(dir, join(root, `${layerName}.zip`));
  const body = readFileSync(zip.path);
  layerNames.push(layerName);
  return {
    name: layerName,
    layerName,
    arch: "x86_64",
    pythonVersions: ["3.11"],
    zipPath: zip.path,
    sha256: createHash("sha256").update(body).digest("hex"),
    zippedBytes: body.length,
    unzippedBytes: bytes,
    files: 1,
    slim: { beforeBytes: bytes, afterBytes: bytes, removedPaths: 0 },
    distributions: [],
    batches: 1,
    upToDate: false,
    durationMs: 0,
    inputsHash: "test",
  };
}

describe("publishing a layer zip", () => {
  it("over 50 MB goes through S3 (S3Bucket/S3Key, keyed by the zip's sha256); a small one is uploaded inline", async () => {
    writeFileSync(
      join(root, "prebake.config.yaml"),
      `project: ls${id}\nprofile: local\nprofiles:\n  local: {}\n`,
    );
    writeFileSync(join(root, "requirements.txt"), "six==1.17.0\n");
    ctx = createContext({ cwd: root, quiet: true });
    const def = parseLayerDefinition(
      `name: s3-${id}\nrequirements: requirements.txt\npublish:\n  s3Bucket: ${BUCKET}\n`,
      "layers/x/layer.yaml",
      root,
    );

    const big = await builtLayer(`big-${id}`, LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES + 1024 * 1024);
    expect(big.zippedBytes).toBeGreaterThan(LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES);
    // What PublishLayerVersion is sent (moto reads the newest object whatever the version named).
    const contents: Record<string, unknown>[] = [];
    ctx.aws(LambdaClient).middlewareStack.add(
      (next) => async (args) => {
        const content = (args.input as { Content?: Record<string, unknown> }).Content;
        if (content?.S3Key) contents.push(content);
        return next(args);
      },
      { step: "initialize", name: "recordLayerContent" },
    );
    const [published] = await publishLayer(ctx, def, [big]);
    expect(published).toMatchObject({ published: true, uploadedVia: "s3", sha256: big.sha256 });
    const key = `layers/${big.layerName}/${big.sha256}.zip`;
    const object = await ctx.aws(S3Client).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(object.ContentLength).toBe(big.zippedBytes);
    // The bucket prebake made is versioned, and the layer is published from the uploaded version.
    expect((await ctx.aws(S3Client).send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe(
      "Enabled",
    );
    expect(object.VersionId).toBeTruthy();
    expect(contents).toEqual([{ S3Bucket: BUCKET, S3Key: key, S3ObjectVersion: object.VersionId }]);
    const version = await ctx
      .aws(LambdaClient)
      .send(new GetLayerVersionCommand({ LayerName: big.layerName, VersionNumber: published!.version }));
    // moto read the layer's content from the S3 object, as Lambda does.
    expect(version.Content?.CodeSize).toBe(big.zippedBytes);
    expect(version.Content?.CodeSha256).toBe(
      createHash("sha256").update(readFileSync(big.zipPath)).digest("base64"),
    );

    const small = await builtLayer(`small-${id}`, 1024);
    const [inline] = await publishLayer(ctx, def, [small]);
    expect(inline).toMatchObject({ published: true, uploadedVia: "direct" });
    const keys = (await ctx.aws(S3Client).send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [];
    expect(keys.map((o) => o.Key)).toEqual([key]);
  });
});
