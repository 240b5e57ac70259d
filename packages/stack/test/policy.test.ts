import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { asIntrinsic, loadStackSource, type Template } from "../src/index.ts";

/**
 * Least privilege in the committed stacks: walk every IAM statement of every role.
 * "*" is allowed only where AWS has no resource-level permission for the action.
 */
const root = join(import.meta.dirname, "../../..");

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function statements(template: Template): { role: string; s: Statement }[] {
  const out: { role: string; s: Statement }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== "AWS::IAM::Role") continue;
    for (const p of (r.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []) {
      for (const s of p.PolicyDocument.Statement) out.push({ role: id, s });
    }
  }
  return out;
}

const actions = (s: Statement) => [s.Action].flat();
const resources = (s: Statement) => [s.Resource].flat();

describe("IAM scoping", () => {
  it("ci: Resource '*' only for ecr:GetAuthorizationToken; the pull actions only on the two repositories", async () => {
    const ci = await loadStackSource(root, "ci");
    const all = statements(ci);
    expect(all.length).toBeGreaterThan(5);
    for (const { role, s } of all) {
      if (resources(s).includes("*"))
        expect({ role, actions: actions(s) }).toEqual({ role, actions: ["ecr:GetAuthorizationToken"] });
    }
    const pull = all.find(({ s }) => actions(s).includes("ecr:BatchGetImage"))!.s;
    expect(actions(pull).sort()).toEqual([
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]);
    const arns = resources(pull).map((r) => asIntrinsic(r)?.arg);
    expect(arns).toEqual([
      "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/prebake/erlang-otp",
      "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/prebake/python-layer",
    ]);
    // No other statement grants any ECR action.
    const ecrStatements = all.filter(({ s }) => actions(s).some((a) => a.startsWith("ecr:")));
    expect(ecrStatements).toHaveLength(2);
  });

  it("ci: the projects pull with the service role (custom images) and log to their own groups", async () => {
    const ci = await loadStackSource(root, "ci");
    for (const id of ["HelloErlangAppProject", "LayerBuildProject"]) {
      const env = ci.Resources[id]!.Properties!.Environment as Record<string, unknown>;
      expect(asIntrinsic(env.Image)?.name).toBe("Ref");
      expect(env.ImagePullCredentialsType).toEqual({
        "Fn::If": [expect.stringMatching(/IsCurated$/), "CODEBUILD", "SERVICE_ROLE"],
      });
    }
    const logs = statements(ci).find(({ s }) => actions(s).includes("logs:PutLogEvents"))!.s;
    expect(resources(logs).map((r) => asIntrinsic(r)?.name)).toEqual(["GetAtt", "GetAtt"]);
  });

  it("ci: an upload of exactly the source key starts the pipeline, through a role that can do only that", async () => {
    const ci = await loadStackSource(root, "ci");
    const rule = ci.Resources.SourceUploadedRule!.Properties! as {
      EventPattern: { detail: { object: { key: unknown[] } } };
      Targets: { Arn: unknown; RoleArn: unknown }[];
    };
    expect(rule.EventPattern.detail.object.key).toEqual([{ Ref: "SourceObjectKey" }]);
    const pipelineArn =
      "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}";
    expect(asIntrinsic(rule.Targets[0]!.Arn)?.arg).toBe(pipelineArn);
    expect(ci.Resources.Pipeline!.Properties!.Name).toEqual({ "Fn::Sub": "${AWS::StackName}" });
    const trigger = statements(ci).filter(({ role }) => role === "PipelineTriggerRole");
    expect(trigger.map(({ s }) => [actions(s), asIntrinsic(s.Resource)?.arg])).toEqual([
      [["codepipeline:StartPipelineExecution"], pipelineArn],
    ]);
    const bucket = ci.Resources.ArtifactsBucket!.Properties!;
    expect(bucket.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
  });

  it("image-rebuild: '*' only for the ECR login; the in-use check reads only the project's stacks", async () => {
    const rebuild = await loadStackSource(root, "image-rebuild");
    const all = statements(rebuild);
    for (const { role, s } of all) {
      if (resources(s).includes("*"))
        expect({ role, actions: actions(s) }).toEqual({ role, actions: ["ecr:GetAuthorizationToken"] });
    }
    const inUse = all.find(({ s }) => actions(s).includes("cloudformation:DescribeStacks"))!.s;
    expect(inUse.Effect).toBe("Allow");
    expect(actions(inUse).every((a) => /^cloudformation:(Describe|Get)/.test(a))).toBe(true);
    // Every stack of the project, in every environment (<project>-<stack>, <project>-<env>-<stack>): the
    // project is the ProjectName parameter deploy fills, not this stack's name (which holds the environment).
    expect(resources(inUse)).toEqual([
      {
        "Fn::Sub":
          "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${ProjectName}-*/*",
      },
    ]);
    expect(rebuild.Metadata?.Prebake?.ProjectParameter).toBe("ProjectName");
    const project = rebuild.Resources.RebuildProject!.Properties!.Environment as Record<string, unknown>;
    expect(project.PrivilegedMode).toBe(true);
  });

  it("ci: the CodeBuild role cannot overwrite the pipeline's source (an explicit Deny), only write artifacts", async () => {
    const ci = await loadStackSource(root, "ci");
    const codebuild = statements(ci).filter(({ role }) => role === "CodeBuildServiceRole");
    const deny = codebuild.filter(({ s }) => s.Effect === "Deny");
    expect(deny).toHaveLength(1);
    expect(actions(deny[0]!.s)).toEqual(expect.arrayContaining(["s3:PutObject", "s3:DeleteObject"]));
    expect(resources(deny[0]!.s).map((r) => asIntrinsic(r)?.arg)).toEqual([
      "${ArtifactsBucket.Arn}/source/*",
      "${ArtifactsBucket.Arn}/${SourceObjectKey}",
    ]);
    // The Allow it overrides is still there: builds write their artifacts elsewhere in the bucket.
    const put = codebuild.find(({ s }) => s.Effect === "Allow" && actions(s).includes("s3:PutObject"))!.s;
    expect(asIntrinsic(put.Resource)?.arg).toBe("${ArtifactsBucket.Arn}/*");
  });

  it("buckets are versioned, encrypted, private and TLS-only", async () => {
    for (const [stack, bucket] of [
      ["ci", "ArtifactsBucket"],
      ["image-rebuild", "SourceBucket"],
    ] as const) {
      const t = await loadStackSource(root, stack);
      const p = t.Resources[bucket]!.Properties!;
      expect(p.VersioningConfiguration).toEqual({ Status: "Enabled" });
      expect(JSON.stringify(p.BucketEncryption)).toContain("AES256");
      expect(Object.values(p.PublicAccessBlockConfiguration as object)).toEqual([true, true, true, true]);
      const policy = Object.values(t.Resources).find((r) => r.Type === "AWS::S3::BucketPolicy")!;
      expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it("every service role trusts its service only for this account and its own resources (confused deputy)", async () => {
    const expected: Record<string, RegExp> = {
      "codebuild.amazonaws.com":
        /^arn:\$\{AWS::Partition\}:codebuild:\$\{AWS::Region\}:\$\{AWS::AccountId\}:project\/\$\{AWS::StackName\}/,
      "codepipeline.amazonaws.com":
        /^arn:\$\{AWS::Partition\}:codepipeline:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{AWS::StackName\}$/,
      "events.amazonaws.com":
        /^arn:\$\{AWS::Partition\}:events:\$\{AWS::Region\}:\$\{AWS::AccountId\}:rule\/\$\{AWS::StackName\}-/,
    };
    let roles = 0;
    for (const stack of ["ci", "image-rebuild"]) {
      const t = await loadStackSource(root, stack);
      for (const [id, r] of Object.entries(t.Resources)) {
        if (r.Type !== "AWS::IAM::Role") continue;
        roles++;
        const trust = r.Properties!.AssumeRolePolicyDocument as {
          Statement: {
            Principal: { Service: string };
            Condition?: Record<string, Record<string, unknown>>;
          }[];
        };
        for (const st of trust.Statement) {
          const where = `${stack}: ${id}`;
          expect(st.Condition?.StringEquals?.["aws:SourceAccount"], where).toEqual({ Ref: "AWS::AccountId" });
          const arn = asIntrinsic(st.Condition?.ArnLike?.["aws:SourceArn"])?.arg;
          expect(arn, where).toMatch(expected[st.Principal.Service]!);
        }
      }
    }
    expect(roles).toBe(5);
    // A rule's ARN in a trust policy needs the rule's name: the rules are named after the stack.
    const ci = await loadStackSource(root, "ci");
    expect(ci.Resources.SourceUploadedRule!.Properties!.Name).toEqual({
      "Fn::Sub": "${AWS::StackName}-source-uploaded",
    });
  });

  it("versioned buckets expire noncurrent versions and abort stale multipart uploads", async () => {
    for (const [stack, bucket] of [
      ["ci", "ArtifactsBucket"],
      ["image-rebuild", "SourceBucket"],
    ] as const) {
      const t = await loadStackSource(root, stack);
      const rules = (
        t.Resources[bucket]!.Properties!.LifecycleConfiguration as { Rules: Record<string, unknown>[] }
      ).Rules;
      expect(rules, `${stack}: ${bucket}`).toContainEqual(
        expect.objectContaining({
          Status: "Enabled",
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        }),
      );
    }
  });

  it("image-rebuild: only this account, never the rebuild itself, and (when named) only the uploaders write the source", async () => {
    const t = await loadStackSource(root, "image-rebuild");
    const policy = t.Resources.SourceBucketPolicy!.Properties!.PolicyDocument as { Statement: unknown[] };
    const denies = policy.Statement as Record<string, unknown>[];
    const bySid = (sid: string) =>
      denies.find((d) => d.Sid === sid) ??
      (denies
        .map((d) => (d["Fn::If"] as unknown[] | undefined)?.[1])
        .find((d) => (d as Record<string, unknown> | undefined)?.Sid === sid) as
        | Record<string, unknown>
        | undefined);
    const writes = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"];
    const foreign = bySid("NoWritesFromOtherAccounts")!;
    expect(foreign).toMatchObject({ Effect: "Deny", Principal: "*", Action: writes });
    expect(foreign.Condition).toEqual({
      StringNotEquals: { "aws:PrincipalAccount": { Ref: "AWS::AccountId" } },
    });
    const self = bySid("NoWritesFromTheRebuild")!;
    expect(self).toMatchObject({ Effect: "Deny", Action: writes });
    expect(self.Condition).toEqual({
      ArnEquals: { "aws:PrincipalArn": { "Fn::GetAtt": ["RebuildRole", "Arn"] } },
    });
    const uploaders = bySid("OnlyTheUploadersWrite")!;
    expect(uploaders.Condition).toEqual({ ArnNotLike: { "aws:PrincipalArn": { Ref: "SourceUploaders" } } });
    expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
  });
});
