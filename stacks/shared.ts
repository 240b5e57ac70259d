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
 * A role's trust policy: `service` may assume it, only on behalf of this account and of the
 * resources `sourceArn` (a Sub template, ArnLike) matches. AWS's cross-service confused-deputy
 * guidance: without the conditions, the service could be made to assume the role for a resource of
 * another account. CodeBuild documents both keys for its service roles (the project's ARN);
 * CodePipeline (the pipeline's ARN) and EventBridge (the rule's ARN) send them when they assume a role.
 */
export function serviceTrustPolicy(service: string, sourceArn: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": Ref("AWS::AccountId") },
          ArnLike: { "aws:SourceArn": Sub(sourceArn) },
        },
      },
    ],
  };
}

/** How long a bucket keeps an object's overwritten or deleted versions (it is versioned to undo mistakes, not forever). */
export const NONCURRENT_VERSION_DAYS = 30;

/**
 * An S3 bucket nobody can reach in plain HTTP or publicly: versioned, encrypted, owner-enforced;
 * versions that are no longer current expire after NONCURRENT_VERSION_DAYS, and uploads left
 * incomplete after a week are aborted (a versioned bucket otherwise grows with every upload).
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
      LifecycleConfiguration: {
        Rules: [
          {
            Id: "expire-noncurrent-versions",
            Status: "Enabled",
            NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
      ...(opts.eventBridge && {
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      }),
    },
    { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" },
  );
}

/** Deny every request to the bucket that does not use TLS; `more` statements follow (e.g. who may write). */
export function tlsOnlyPolicy(bucket: string, more: unknown[] = []) {
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
        ...more,
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
