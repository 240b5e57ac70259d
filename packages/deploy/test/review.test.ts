/**
 * The review before a protected change (review.ts over @aws-cdk/cloudformation-diff) and the
 * approval decision (approval.ts): what a reviewer is shown for the changes that matter, on
 * templates of this repository's shape.
 */
import { parseTemplate, type Template } from "@prebake/stack";
import { describe, expect, it } from "vitest";
import { approvalDecision, isYes } from "../src/approval.ts";
import { isStatefulType, reviewChanges } from "../src/review.ts";

const BASE = `Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      VersioningConfiguration: { Status: Enabled }
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: codebuild.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub "\${Bucket.Arn}/*"
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: { RetentionInDays: 7 }
`;

const template = (text: string): Template => parseTemplate(text, "stack.yaml");

describe("the review of a change (CDK's cloudformation-diff)", () => {
  it("an added Allow statement is a broadened permission, shown in the IAM table", async () => {
    const next = template(
      BASE.replace(
        '                Resource: !Sub "${Bucket.Arn}/*"\n',
        '                Resource: !Sub "${Bucket.Arn}/*"\n              - Effect: Allow\n                Action: "s3:*"\n                Resource: "*"\n',
      ),
    );
    const review = await reviewChanges(template(BASE), next, []);
    expect(review).toMatchObject({ permissionsBroadened: true, iamChanges: true, statefulLosses: [] });
    const text = review.lines.join("\n");
    expect(text).toContain("IAM Statement Changes");
    expect(text).toMatch(/\+ .*\*\s+.*Allow\s+.*s3:\*\s+.*AWS:\$\{Role\}/);
    expect(text).toContain("security: permissions broadened");
  });

  it("a bucket renamed is a stateful resource replaced; a log group removed is one deleted", async () => {
    const next = template(
      BASE.replace(
        "      VersioningConfiguration",
        "      BucketName: renamed\n      VersioningConfiguration",
      ).replace(/ {2}Logs:\n.*\n.*\n$/, ""),
    );
    const review = await reviewChanges(template(BASE), next, []);
    expect(review.statefulLosses).toEqual([
      { logicalId: "Bucket", type: "AWS::S3::Bucket", impact: "replaced" },
      { logicalId: "Logs", type: "AWS::Logs::LogGroup", impact: "deleted" },
    ]);
    expect(review.lines).toContain(
      "stateful resources: Bucket (AWS::S3::Bucket) replaced, Logs (AWS::Logs::LogGroup) deleted",
    );
    expect(review.lines.join("\n")).toContain("BucketName (requires replacement)");
  });

  it("a nested property change is shown whole, not cut at 80 characters; no security change is said so", async () => {
    const long = "x".repeat(120);
    const next = template(BASE.replace("RetentionInDays: 7", `RetentionInDays: 14, LogGroupName: ${long}`));
    const review = await reviewChanges(template(BASE), next, []);
    expect(review).toMatchObject({
      permissionsBroadened: false,
      iamChanges: false,
      securityGroupChanges: false,
    });
    expect(review.lines.join("\n")).toContain(long);
    expect(review.lines).toContain("security: no IAM statement, resource policy or managed policy changes");
  });

  it("a security group rule opened to the world is a security group change", async () => {
    const withGroup = `${BASE}  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: builds
      SecurityGroupIngress: []
`;
    const opened = withGroup.replace(
      "SecurityGroupIngress: []",
      "SecurityGroupIngress:\n        - { IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0 }",
    );
    const review = await reviewChanges(template(withGroup), template(opened), []);
    expect(review.securityGroupChanges).toBe(true);
    expect(review.lines.join("\n")).toContain("0.0.0.0/0");
  });

  it("the resource specification's stateful flag is read (the pinned library's module is where it was)", async () => {
    expect(await isStatefulType("AWS::S3::Bucket")).toBe(true);
    expect(await isStatefulType("AWS::DynamoDB::Table")).toBe(true);
    expect(await isStatefulType("AWS::IAM::Role")).toBe(false);
    expect(await isStatefulType("Custom::Nothing")).toBe(false);
  });
});

describe("the approval decision", () => {
  it("only a protected environment needs one; --approve gives it; else a terminal is asked, or it is refused", () => {
    const decide = (protectedEnvironment: boolean, approveFlag: boolean, interactive: boolean) =>
      approvalDecision({ protectedEnvironment, approveFlag, interactive });
    expect(decide(false, false, false)).toBe("not-needed");
    expect(decide(false, true, true)).toBe("not-needed");
    expect(decide(true, true, false)).toBe("approved");
    expect(decide(true, true, true)).toBe("approved");
    expect(decide(true, false, true)).toBe("ask");
    expect(decide(true, false, false)).toBe("refuse");
  });

  it("only y or yes approves", () => {
    for (const yes of ["y", "Y", "yes", " YES "]) expect(isYes(yes), yes).toBe(true);
    for (const no of ["", "n", "no", "yess", "sure", undefined]) expect(isYes(no), String(no)).toBe(false);
  });
});
