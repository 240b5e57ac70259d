/**
 * Against the shared moto_server: what forces a deploy that the skip must not swallow (a changed
 * parameter, values CloudFormation resolves at deploy time), and a template over 51,200 bytes
 * sent through S3. Each test has its own project name, so its own stacks, SSM names and bucket.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CloudFormationClient, GetTemplateCommand } from "@aws-sdk/client-cloudformation";
import { GetBucketVersioningCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { awsCallLog } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { deleteVersionedBucket } from "../../core/test/buckets.ts";
import { deployStack } from "../src/deploy.ts";
import { templateBucket } from "../src/template-source.ts";
import { captureContext, deleteStacks, makeProject, suffix, type TestProject } from "./helpers.ts";

interface Made {
  p: TestProject;
  stackName: string;
  ssm: string[];
  bucket?: string;
}
const projects: Made[] = [];

function project(template: string, stacks: Parameters<typeof makeProject>[0]["stacks"] = {}) {
  const name = `sk${suffix()}`;
  const p = makeProject({ project: name, templates: { app: template.replaceAll("NAME", name) }, stacks });
  const entry: Made = { p, stackName: `${name}-app`, ssm: [] };
  projects.push(entry);
  return { ...p, name, entry, ctx: () => captureContext(p.root) };
}

afterAll(async () => {
  const { ctx } = captureContext(projects[0]?.p.root ?? process.cwd());
  await deleteStacks(
    ctx.aws(CloudFormationClient),
    projects.map((e) => e.stackName),
  );
  const ssm = ctx.aws(SSMClient);
  const s3 = ctx.aws(S3Client);
  for (const e of projects) {
    for (const n of e.ssm) await ssm.send(new DeleteParameterCommand({ Name: n })).catch(() => undefined);
    if (e.bucket) await deleteVersionedBucket(s3, e.bucket);
    e.p.remove();
  }
});

const callsDuring = async <T>(run: () => Promise<T>) => {
  const before = awsCallLog.length;
  const result = await run();
  return { result, calls: awsCallLog.slice(before).map((c) => c.command) };
};

const withParameter = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Value:
    Type: String
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /NAME/plain
      Type: String
      Value: !Ref Value
`;

describe("deploy skip against moto", () => {
  it("a changed parameter value forces a change set; the same value again is skipped", async () => {
    const p = project(withParameter, { app: { parameters: { Value: "one" } } });
    expect((await deployStack(p.ctx().ctx, "app", { lint: false })).action).toBe("created");
    expect((await deployStack(p.ctx().ctx, "app", { lint: false })).action).toBe("skipped");
    p.write({ stacks: { app: { parameters: { Value: "two" } } } });
    const { result, calls } = await callsDuring(() => deployStack(p.ctx().ctx, "app", { lint: false }));
    expect(result).toMatchObject({ action: "updated", differences: ["parameter Value: 'one' -> 'two'"] });
    expect(calls).toContain("ExecuteChangeSetCommand");
  });

  it("an AWS::SSM::Parameter::Value<String> parameter is never skipped, even with nothing else changed", async () => {
    const p = project(`AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Source:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /NAME/source
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /NAME/copy
      Type: String
      Value: !Ref Source
`);
    const source = `/${p.name}/source`;
    p.entry.ssm.push(source);
    await p
      .ctx()
      .ctx.aws(SSMClient)
      .send(new PutParameterCommand({ Name: source, Value: "v1", Type: "String" }));
    expect((await deployStack(p.ctx().ctx, "app", { lint: false })).action).toBe("created");

    const { result, calls } = await callsDuring(() => deployStack(p.ctx().ctx, "app", { lint: false }));
    expect(result.action).not.toBe("skipped");
    expect(result.differences).toContain(
      "parameter Source (AWS::SSM::Parameter::Value<String>) is resolved by CloudFormation at deploy time and cannot be compared",
    );
    expect(calls).toContain("CreateChangeSetCommand");
  });

  it("a {{resolve:ssm:...}} dynamic reference is never skipped", async () => {
    const p = project(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /NAME/resolved
      Type: String
      Value: "{{resolve:ssm:/NAME/source}}"
`);
    expect((await deployStack(p.ctx().ctx, "app", { lint: false })).action).toBe("created");
    const { result, calls } = await callsDuring(() => deployStack(p.ctx().ctx, "app", { lint: false }));
    expect(result.action).not.toBe("skipped");
    expect(result.differences).toEqual([
      "dynamic reference {{resolve:ssm:...}} is resolved by CloudFormation at deploy time and cannot be compared",
    ]);
    expect(calls).toContain("CreateChangeSetCommand");
  });
});

describe("a template over 51,200 bytes", () => {
  it("goes through S3 (TemplateURL, content-addressed key); the same template again is skipped, uploading nothing", async () => {
    const padding = Array.from({ length: 700 }, (_, i) => `    Line${i}: ${"p".repeat(64)}`).join("\n");
    const p = project(
      `${withParameter.replace("Type: String\nResources", "Type: String\n    Default: big\nResources")}Metadata:\n  Padding:\n${padding}\n`,
    );
    const { ctx } = p.ctx();
    const bucket = await templateBucket(ctx);
    p.entry.bucket = bucket;
    const body = readFileSync(`${p.root}/stacks/app/stack.yaml`, "utf8");
    expect(Buffer.byteLength(body)).toBeGreaterThan(51_200);

    // What CreateChangeSet is sent (moto keeps no TemplateURL to read back).
    const templateUrls: string[] = [];
    ctx.aws(CloudFormationClient).middlewareStack.add(
      (next) => async (args) => {
        const url = (args.input as { TemplateURL?: string }).TemplateURL;
        if (url) templateUrls.push(url);
        return next(args);
      },
      { step: "initialize", name: "recordTemplateUrl" },
    );
    const { result, calls } = await callsDuring(() => deployStack(ctx, "app", { lint: false }));
    expect(result).toMatchObject({ action: "created", status: "CREATE_COMPLETE" });
    expect(calls).toContain("PutObjectCommand");
    const key = `templates/${p.name}-app/${createHash("sha256").update(body).digest("hex")}.template`;
    const stored = await ctx.aws(S3Client).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await stored.Body?.transformToString()).toBe(body);
    // The bucket is versioned and the URL names the uploaded version, so CloudFormation reads that object.
    const versioning = await ctx.aws(S3Client).send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect(versioning.Status).toBe("Enabled");
    expect(stored.VersionId).toBeTruthy();
    expect(templateUrls).toEqual([
      `https://${bucket}.s3.${ctx.config.profile.region}.amazonaws.com/${key}?versionId=${stored.VersionId}`,
    ]);
    const deployed = await ctx
      .aws(CloudFormationClient)
      .send(new GetTemplateCommand({ StackName: `${p.name}-app` }));
    expect(deployed.TemplateBody).toBe(body);

    const again = await callsDuring(() => deployStack(p.ctx().ctx, "app", { lint: false }));
    expect(again.result.action).toBe("skipped");
    expect(again.calls).not.toContain("PutObjectCommand");
  });
});
