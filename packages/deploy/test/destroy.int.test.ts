/**
 * `prebake destroy` against moto, through the real CLI, in an environment of a project of its own:
 * a dry run lists what would go and deletes nothing; a destroy deletes the stacks in reverse
 * dependency order (top before the base it comes after), says which retained resources stay (with
 * their physical ids) and removes the outputs under dist/; a stack that owns an ECR repository is
 * refused before anything is deleted; a destroy of what is not deployed is a no-op.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ExitCode } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { captureContext, deleteStacks, makeProject, prebakeCli, suffix } from "./helpers.ts";

const name = `ds${suffix()}`;
const ENV = "rehearsal";
const stackName = (folder: string) => `${name}-${ENV}-${folder}`;

const param = (folder: string) => `  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/${folder}
      Type: String
      Value: ${folder}
`;

const p = makeProject({
  project: name,
  environments: { [ENV]: { profile: "local" } },
  templates: {
    // The base keeps its bucket: DeletionPolicy Retain, as prebake's own buckets do.
    base: `Metadata:
  Prebake: { Images: [], After: [], ImageParameters: {} }
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
${param("base")}`,
    top: `Metadata:
  Prebake: { Images: [], After: [base], ImageParameters: {} }
Resources:
${param("top")}`,
    registry: `Resources:
  Repository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: ${name}/images
`,
  },
});

const cli = (args: string[]) => prebakeCli(p.root, ["--env", ENV, ...args]);
const cfn = captureContext(p.root).ctx.aws(CloudFormationClient);
const s3 = captureContext(p.root).ctx.aws(S3Client);
const statusOf = async (folder: string) =>
  (
    await cfn
      .send(new DescribeStacksCommand({ StackName: stackName(folder) }))
      .catch(() => ({ Stacks: undefined }))
  ).Stacks?.[0]?.StackStatus ?? "gone";
let retainedBucket: string | undefined;

afterAll(async () => {
  await deleteStacks(cfn, ["top", "base", "registry"].map(stackName));
  if (retainedBucket) {
    const { DeleteBucketCommand } = await import("@aws-sdk/client-s3");
    await s3.send(new DeleteBucketCommand({ Bucket: retainedBucket })).catch(() => undefined);
  }
  p.remove();
});

describe("prebake destroy (moto)", () => {
  it("dry run lists, then deletes top before base, keeps the retained bucket and says so, removes the outputs", async () => {
    const deployed = await cli(["deploy", "base", "top"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    retainedBucket = (
      await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName("base") }))
    ).StackResources?.find((r) => r.LogicalResourceId === "Bucket")?.PhysicalResourceId;
    expect(retainedBucket).toBeDefined();
    const outputs = join(p.root, "dist", ENV, "stacks", "base.json");
    expect(existsSync(outputs)).toBe(true);

    const dry = await cli(["destroy", "base", "top", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${stackName("top")}: deletes 1 resource(s), keeps 0`);
    expect(dry.stdout).toContain(`${stackName("base")}: deletes 1 resource(s), keeps 1`);
    expect(dry.stdout).toContain(
      `= Bucket (AWS::S3::Bucket ${retainedBucket})  kept (DeletionPolicy Retain)`,
    );
    expect(dry.stdout).toContain("destroy leaves them");
    expect(dry.stdout).toContain("dry run: nothing deleted");
    expect(await statusOf("base")).toBe("CREATE_COMPLETE");
    expect(await statusOf("top")).toBe("CREATE_COMPLETE");

    const done = await cli(["--json", "destroy", "base", "top"]);
    expect(done.code, done.stderr).toBe(0);
    const result = JSON.parse(done.stdout) as {
      kind: string;
      stacks: { stackName: string; action: string }[];
    };
    expect(result.kind).toBe("destroy");
    // Reverse dependency order: top comes after base, so it goes first.
    expect(result.stacks.map((s) => [s.stackName, s.action])).toEqual([
      [stackName("top"), "deleted"],
      [stackName("base"), "deleted"],
    ]);
    expect(done.stderr).toContain(`${stackName("base")}: deleted in`);
    expect(done.stderr).toContain(`kept Bucket (AWS::S3::Bucket ${retainedBucket})`);
    expect(await statusOf("base")).toBe("gone");
    expect(await statusOf("top")).toBe("gone");
    expect(existsSync(outputs)).toBe(false);
    // moto, like CloudFormation, leaves a retained resource in place.
    await expect(s3.send(new HeadBucketCommand({ Bucket: retainedBucket! }))).resolves.toBeDefined();

    const again = await cli(["destroy", "top"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${stackName("top")}: not deployed, nothing to delete`);
  });

  it("a stack that would delete an ECR repository is refused (exit 9) before any stack is deleted", async () => {
    const deployed = await cli(["deploy", "registry"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const refused = await cli(["destroy", "registry"]);
    expect(refused.code, refused.stderr).toBe(ExitCode.REFUSED);
    expect(refused.stderr).toContain(
      `deleting ${stackName("registry")} would delete Repository (AWS::ECR::Repository)`,
    );
    expect(await statusOf("registry")).toBe("CREATE_COMPLETE");
  });

  it("an unknown stack is exit 3 before any AWS call", async () => {
    const res = await cli(["destroy", "nope"]);
    expect(res.code).toBe(ExitCode.CONFIG);
    expect(res.stderr.trim()).toBe(
      "prebake: error: stacks/nope: unknown stack 'nope' (fix: use one of: base, registry, top)",
    );
  });
});
