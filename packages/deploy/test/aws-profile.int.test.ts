/**
 * A deploy in the aws profile, unchanged, against moto and the ECR stand-in (see
 * packages/images/test/aws-standin.ts): a ci-like stack whose CodeBuild project takes its image
 * from `Metadata.Prebake.ImageParameters` gets the pushed image's ECR URI pinned by digest, after
 * resolvePushedImage confirmed that digest in the registry (asked with ECR's token); a digest the
 * registry does not have stops the deploy (exit 9) before any change set.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { distPaths, ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsProfileFixture, prebake } from "../../images/test/aws-standin.ts";
import { imageParameterTemplate } from "../../images/test/image-project.ts";
import { codeBuildRole, deleteStacks, suffix } from "./helpers.ts";

const id = suffix();
const project = `pb${id}`; // not "aws…": SSM reserves parameter names starting /aws
const REPO = `prebake-test/aws-deploy-${id}`;
const BASE_REPO = `prebake-test/aws-deploy-base-${id}`;
const stackName = `${project}-ci`;
const ssmName = `/${project}/codebuild-image`;
const fx = awsProfileFixture(project);
const { root, ctx } = fx;

// ci-like: the CodeBuild project runs the image by digest with SERVICE_ROLE pull credentials, its
// role may pull from the one repository (moto skips the project; the stack's parameters say what it got).
const template = `${imageParameterTemplate("CodeBuildImage", "aws/codebuild/amazonlinux2-x86_64-standard:5.0")}Resources:
${codeBuildRole("ServiceRole")}      Policies:
        - PolicyName: pull-the-image
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ecr:GetAuthorizationToken
                Resource: "*"
              - Effect: Allow
                Action: [ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer, ecr:BatchGetImage]
                Resource: !Sub arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${REPO}
  Project:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Sub \${AWS::StackName}-app
      ServiceRole: !GetAtt ServiceRole.Arn
      Source: { Type: NO_SOURCE, BuildSpec: "version: 0.2\\nphases:\\n  build:\\n    commands: [echo hi]\\n" }
      Artifacts: { Type: NO_ARTIFACTS }
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: !Ref CodeBuildImage
        ImagePullCredentialsType: SERVICE_ROLE
  ImageEcho:
    Type: AWS::SSM::Parameter
    Properties:
      Name: ${ssmName}
      Type: String
      Value: !Ref CodeBuildImage
`;

beforeAll(async () => {
  await fx.start();
  const base = await fx.pushBase(BASE_REPO, "1", `deploy base ${id}`);
  fx.write("stacks/ci/stack.yaml", template);
  fx.writeImage("tool", {
    repository: REPO,
    base: base.reference,
    file: { name: "hello.txt", text: `${id}\n` },
  });
});

afterAll(async () => {
  await deleteStacks(ctx.aws(CloudFormationClient), [stackName]);
  await fx.cleanup();
});

describe("deploy in the aws profile (moto + the ECR stand-in)", () => {
  it("deploys the ci-like stack with the pushed image's ECR URI pinned by digest; a digest the registry lacks is exit 9 before any change set", async () => {
    const pushed = await prebake(root, ["--json", "push", "tool"]);
    expect(pushed.code, pushed.output).toBe(0);
    const { digest, uri } = JSON.parse(pushed.stdout) as { digest: string; uri: string };
    expect(uri).toBe(`${fx.login.host}/${REPO}@${digest}`);

    const deployed = await prebake(root, ["deploy", "ci"]);
    expect(deployed.code, deployed.output).toBe(0);
    const cfn = ctx.aws(CloudFormationClient);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    expect(stack.Parameters).toContainEqual({ ParameterKey: "CodeBuildImage", ParameterValue: uri });
    const outputs = JSON.parse(readFileSync(distPaths.stackOutputs(root, "ci"), "utf8"));
    expect(outputs.parameters.CodeBuildImage).toBe(uri);

    // The record's digest is checked in the stand-in (with ECR's token), not taken on trust.
    const record = distPaths.imageManifest(root, "tool", "1.0");
    const good = readFileSync(record, "utf8");
    const gone = `sha256:${"0".repeat(64)}`;
    writeFileSync(record, good.replaceAll(digest, gone));
    // moto lists every stack's change sets whatever StackName says: count this stack's only.
    const changeSets = async () =>
      ((await cfn.send(new ListChangeSetsCommand({ StackName: stackName }))).Summaries ?? []).filter(
        (c) => c.StackName === stackName,
      ).length;
    const before = await changeSets();
    const refused = await prebake(root, ["deploy", "ci", "--no-lint", "--parameter", "CodeBuildImage=x"]);
    expect(refused.code, refused.output).toBe(ExitCode.REFUSED);
    expect(refused.output).toContain(`${gone} is not in registry ${fx.login.host} (repository ${REPO})`);
    expect(await changeSets()).toBe(before);
    writeFileSync(record, good);
  });
});
