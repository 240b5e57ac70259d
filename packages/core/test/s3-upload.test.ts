/**
 * Uploads only to buckets of the caller's account, on AWS's documented answers (moto 5.2 ignores
 * ExpectedBucketOwner, so these paths cannot run against it): the real S3 and STS SDK clients, whose
 * HTTP handler answers as S3 does. "If the bucket owner doesn't match, the request fails with HTTP
 * 403 Forbidden (access denied)" (S3 User Guide, "Verifying bucket ownership with bucket owner
 * condition"); CreateBucket of a name another account holds is 409 BucketAlreadyExists.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Context,
  createContext,
  ExitCode,
  RefusedError,
  s3ObjectUrl,
  uploadBucket,
  uploadToS3,
} from "../src/index.ts";
import { rejection } from "./canary.ts";

const ACCOUNT = "210987654321";
const root = mkdtempSync(join(tmpdir(), "prebake-s3-upload-"));
// The aws profile's default environment: no account anywhere in the configuration.
writeFileSync(join(root, "prebake.config.yaml"), "project: demo\nprofile: aws\n");
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Seen {
  operation: string;
  owner: string | undefined;
}
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}
interface HttpRequestLike {
  method: string;
  hostname: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

/** Which S3 or STS operation a request is (REST: by method, path and query). */
function operationOf(req: HttpRequestLike, text: string): string {
  if (text.includes("Action=GetCallerIdentity")) return "GetCallerIdentity";
  const q = req.query ?? {};
  const onBucket = req.path === "/" || req.path === "";
  if (req.method === "HEAD" && onBucket) return "HeadBucket";
  if ("versioning" in q) return req.method === "GET" ? "GetBucketVersioning" : "PutBucketVersioning";
  if (req.method === "PUT" && onBucket) return "CreateBucket";
  if (req.method === "POST" && "uploads" in q) return "CreateMultipartUpload";
  if (req.method === "PUT" && "partNumber" in q) return "UploadPart";
  if (req.method === "POST" && "uploadId" in q) return "CompleteMultipartUpload";
  if (req.method === "DELETE" && "uploadId" in q) return "AbortMultipartUpload";
  if (req.method === "PUT") return "PutObject";
  return `${req.method} ${req.path}`;
}

async function textOf(body: unknown): Promise<string> {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("latin1");
  if (typeof (body as Readable).on === "function") {
    const chunks: Buffer[] = [];
    for await (const c of body as Readable) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString("latin1");
  }
  return "";
}

const CALLER = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
const xml = (body: string): Answer => ({ headers: { "content-type": "application/xml" }, body });

/** A context of the aws profile whose STS and S3 answer from `answers` (by operation); requests recorded. */
function s3Like(answers: Record<string, Answer>): { ctx: Context; seen: Seen[] } {
  const seen: Seen[] = [];
  const handler = {
    handle: async (req: HttpRequestLike) => {
      const text = await textOf(req.body);
      const operation = operationOf(req, text);
      seen.push({ operation, owner: req.headers["x-amz-expected-bucket-owner"] });
      const answer = operation === "GetCallerIdentity" ? xml(CALLER) : answers[operation];
      if (!answer) throw new Error(`no answer for ${operation}`);
      return {
        response: {
          statusCode: answer.status ?? 200,
          headers: answer.headers ?? {},
          body: Readable.from([Buffer.from(answer.body ?? "")]),
        },
      };
    },
  };
  const base = createContext({ cwd: root, quiet: true, env: {} });
  const clients = new Map<unknown, unknown>();
  const ctx: Context = {
    ...base,
    aws(Ctor) {
      if (!clients.has(Ctor))
        clients.set(
          Ctor,
          new Ctor({
            region: "eu-west-1",
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
            requestHandler: handler,
            maxAttempts: 1,
          }),
        );
      return clients.get(Ctor) as never;
    },
  };
  return { ctx, seen };
}

const NOT_FOUND: Answer = { status: 404 };
const VERSIONED = xml(
  '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>',
);
const s3Calls = (seen: Seen[]) => seen.filter((s) => s.operation !== "GetCallerIdentity");

/** A refusal: prebake's RefusedError, exit 9. */
const refused = (p: Promise<unknown>) => rejection(p, RefusedError, ExitCode.REFUSED);

describe("uploadToS3: only into a bucket of the caller's account", () => {
  it("names prebake's bucket with the account STS gives (the aws profile's default environment names none)", async () => {
    const { ctx, seen } = s3Like({});
    expect(ctx.config.profile.accountId).toBeUndefined();
    expect(await uploadBucket(ctx, "layers")).toBe(`demo-layers-${ACCOUNT}-${ctx.config.profile.region}`);
    expect(await uploadBucket(ctx, "cfn-templates")).toBe(
      `demo-cfn-templates-${ACCOUNT}-${ctx.config.profile.region}`,
    );
    expect(seen.map((s) => s.operation)).toEqual(["GetCallerIdentity"]); // asked once per context
  });

  it("refuses a bucket another account owns (HeadBucket with ExpectedBucketOwner: 403) with exit 9, before any upload", async () => {
    const { ctx, seen } = s3Like({ HeadBucket: { status: 403 } });
    const bucket = await uploadBucket(ctx, "cfn-templates");
    const err = await refused(uploadToS3(ctx, { bucket, key: "templates/x.template" }, "{}"));
    expect(err.toLine()).toMatch(
      new RegExp(
        `^s3://${bucket}: bucket ${bucket} is not account ${ACCOUNT}'s \\(or refuses these credentials\\); nothing was uploaded \\(fix: `,
      ),
    );
    expect(s3Calls(seen)).toEqual([{ operation: "HeadBucket", owner: ACCOUNT }]);
  });

  it("refuses a stack's bucket of another account too (no bucket made there), before a streamed upload starts", async () => {
    const { ctx, seen } = s3Like({ HeadBucket: { status: 403 } });
    await refused(
      uploadToS3(ctx, { bucket: "their-source", key: "source.zip" }, Readable.from([Buffer.from("zip")]), {
        createBucket: false,
      }),
    );
    expect(s3Calls(seen).map((s) => s.operation)).toEqual(["HeadBucket"]);
  });

  it("refuses a name another account took between HeadBucket and CreateBucket (409 BucketAlreadyExists)", async () => {
    const { ctx, seen } = s3Like({
      HeadBucket: NOT_FOUND,
      CreateBucket: {
        status: 409,
        ...xml(
          "<Error><Code>BucketAlreadyExists</Code><Message>The requested bucket name is not available.</Message></Error>",
        ),
      },
    });
    await refused(uploadToS3(ctx, { bucket: await uploadBucket(ctx, "layers"), key: "layers/x.zip" }, "zip"));
    expect(s3Calls(seen).map((s) => s.operation)).toEqual(["HeadBucket", "CreateBucket"]);
  });

  it("makes a missing bucket versioned, names the owner on every call, and returns the upload's version", async () => {
    const { ctx, seen } = s3Like({
      HeadBucket: NOT_FOUND,
      CreateBucket: {},
      GetBucketVersioning: xml('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'),
      PutBucketVersioning: {},
      PutObject: { headers: { etag: '"e"', "x-amz-version-id": "v-1" } },
    });
    const bucket = await uploadBucket(ctx, "cfn-templates");
    const up = await uploadToS3(ctx, { bucket, key: "templates/s/abc.template" }, "{}");
    expect(up.versionId).toBe("v-1");
    expect(s3Calls(seen)).toEqual([
      { operation: "HeadBucket", owner: ACCOUNT },
      { operation: "CreateBucket", owner: undefined }, // CreateBucket takes no ExpectedBucketOwner
      { operation: "GetBucketVersioning", owner: ACCOUNT },
      { operation: "PutBucketVersioning", owner: ACCOUNT },
      { operation: "PutObject", owner: ACCOUNT },
    ]);
    expect(s3ObjectUrl("eu-west-1", up)).toBe(
      `https://${bucket}.s3.eu-west-1.amazonaws.com/templates/s/abc.template?versionId=v-1`,
    );
  });

  it("names the owner on every part of a multipart upload", async () => {
    const { ctx, seen } = s3Like({
      HeadBucket: {},
      CreateMultipartUpload: xml(
        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>",
      ),
      UploadPart: { headers: { etag: '"p"' } },
      CompleteMultipartUpload: {
        ...xml(
          '<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key><ETag>"e"</ETag></CompleteMultipartUploadResult>',
        ),
        headers: { "content-type": "application/xml", "x-amz-version-id": "v-2" },
      },
    });
    const six = Buffer.alloc(6 * 1024 * 1024, 1);
    const up = await uploadToS3(ctx, { bucket: "source", key: "source.zip" }, Readable.from([six]), {
      createBucket: false,
    });
    expect(up.versionId).toBe("v-2");
    const calls = s3Calls(seen);
    expect(new Set(calls.map((c) => c.operation))).toEqual(
      new Set(["HeadBucket", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"]),
    );
    expect(calls.every((c) => c.owner === ACCOUNT)).toBe(true);
  });

  it("refuses an upload without a version id into a bucket it looks after (what is read back must be what went up)", async () => {
    const { ctx } = s3Like({
      HeadBucket: {},
      GetBucketVersioning: VERSIONED,
      PutObject: { headers: { etag: '"e"' } },
    });
    const err = await refused(uploadToS3(ctx, { bucket: "mine", key: "k" }, "x"));
    expect(err.message).toContain("no version id");
  });
});
