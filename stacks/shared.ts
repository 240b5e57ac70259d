/**
 * Pieces both stacks share. Repository names come from the image definitions (images/<name>/image.yaml),
 * so the IAM policies can never drift from what `prebake push` creates.
 */
import { join } from "node:path";
import { imagesDir, loadImageDefinition } from "@prebake/images";
import { GetAtt, If, type Intrinsic, Ref, resource, Sub } from "@prebake/stack";

export const ROOT = join(import.meta.dirname, "..");

/** The curated image every CodeBuild account has: the parameters' default, so a stack deploys before any image exists. */
export const CURATED_IMAGE = "aws/codebuild/amazonlinux2-x86_64-standard:5.0";

export function repositoryOf(image: string): string {
  return loadImageDefinition(imagesDir(ROOT), image).repository;
}

export const repositoryArn = (repository: string): Intrinsic =>
  Sub(`arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${repository}`);

/**
 * CodeBuild pulls its curated images with its own credentials and refuses SERVICE_ROLE for them;
 * images from ECR (ours) need SERVICE_ROLE. The image is a parameter, so the choice is a condition:
 * curated images are named aws/codebuild/..., registry images start with a host.
 */
export const curatedImageCondition = (parameter: string) => ({
  "Fn::Equals": [{ "Fn::Select": [0, { "Fn::Split": ["/", Ref(parameter)] }] }, "aws"],
});

export const pullCredentials = (condition: string) => If(condition, "CODEBUILD", "SERVICE_ROLE");

export const LOG_RETENTION_VALUES = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365];

/**
 * An S3 bucket nobody can reach in plain HTTP or publicly: versioned, encrypted, owner-enforced.
 * `eventBridge` sends its object events to EventBridge (what starts a pipeline on an upload).
 */
export function hardenedBucket(opts: { eventBridge?: boolean } = {}) {
  return resource(
    "AWS::S3::Bucket",
    {
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      ...(opts.eventBridge && {
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      }),
    },
    { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" },
  );
}

/** Deny every request to the bucket that does not use TLS. */
export function tlsOnlyPolicy(bucket: string) {
  return resource("AWS::S3::BucketPolicy", {
    Bucket: Ref(bucket),
    PolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [GetAtt(bucket, "Arn"), Sub(`\${${bucket}.Arn}/*`)],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    },
  });
}

/**
 * A build log group with retention. Deleted with the stack, on purpose and explicitly: it has a
 * fixed name, so a retained group would make the next create of the same stack fail.
 */
export function logGroup(name: Intrinsic) {
  return resource(
    "AWS::Logs::LogGroup",
    { LogGroupName: name, RetentionInDays: Ref("LogRetentionDays") },
    { DeletionPolicy: "Delete", UpdateReplacePolicy: "Delete" },
  );
}

export const logRetentionParameter = {
  Type: "Number",
  Default: 30,
  AllowedValues: LOG_RETENTION_VALUES,
  Description: "Days CloudWatch Logs keeps the build logs",
};
