/**
 * The image-rebuild stack: a privileged CodeBuild project that runs prebake's own `push` inside
 * AWS, for teams without a local Docker engine, and on a schedule (weekly by default) so the
 * images keep getting their bases' fixes. Deployed before the CI stack (which uses the images).
 */
import { defineTemplate, Equals, GetAtt, If, Join, Not, Ref, resource, Sub } from "@prebake/stack";
import {
  CURATED_IMAGE,
  curatedImageCondition,
  hardenedBucket,
  logGroup,
  logRetentionParameter,
  pullCredentials,
  repositoryArn,
  repositoryOf,
  serviceTrustPolicy,
  tlsOnlyPolicy,
} from "../shared.ts";

const repositories = ["erlang-otp", "python-layer"].map(repositoryOf);

/** The project is named after the stack (Name below), so its ARN is known without a !GetAtt. */
const rebuildProjectArn = Sub(
  "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/${AWS::StackName}",
);

/** Every Monday at 04:00 UTC: a weekly rebuild picks up the bases' security fixes. */
export const DEFAULT_REBUILD_SCHEDULE = "cron(0 4 ? * MON *)";

/** What `prebake push` does to a repository: reconcile it, then push layers and manifests. */
const ECR_PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:DescribeImages",
  "ecr:DescribeRepositories",
  "ecr:CreateRepository",
  "ecr:PutImageScanningConfiguration",
  "ecr:PutImageTagMutability",
  "ecr:GetLifecyclePolicy",
  "ecr:PutLifecyclePolicy",
  "ecr:StartLifecyclePolicyPreview",
  "ecr:GetLifecyclePolicyPreview",
  "ecr:ListTagsForResource",
  "ecr:TagResource",
];

/** What writes an object in the source bucket: what the privileged rebuild builds and pushes next. */
const SOURCE_WRITES = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"];

/**
 * The source bucket decides what the privileged rebuild builds and pushes, so its bucket policy
 * limits who writes it: never another account, never the rebuild itself (a build must not choose its
 * next input, whatever its role is later given), and, when SourceUploaders names them, only those
 * principals (e.g. the CI role that runs prebake codebuild rebuild-images).
 */
function sourceWriters() {
  const objects = Sub("${SourceBucket.Arn}/*");
  return [
    {
      Sid: "NoWritesFromOtherAccounts",
      Effect: "Deny",
      Principal: "*",
      Action: SOURCE_WRITES,
      Resource: objects,
      Condition: { StringNotEquals: { "aws:PrincipalAccount": Ref("AWS::AccountId") } },
    },
    {
      Sid: "NoWritesFromTheRebuild",
      Effect: "Deny",
      Principal: "*",
      Action: SOURCE_WRITES,
      Resource: objects,
      Condition: { ArnEquals: { "aws:PrincipalArn": GetAtt("RebuildRole", "Arn") } },
    },
    If(
      "HasSourceUploaders",
      {
        Sid: "OnlyTheUploadersWrite",
        Effect: "Deny",
        Principal: "*",
        Action: SOURCE_WRITES,
        Resource: objects,
        Condition: { ArnNotLike: { "aws:PrincipalArn": Ref("SourceUploaders") } },
      },
      Ref("AWS::NoValue"),
    ),
  ];
}

export default defineTemplate({
  AWSTemplateFormatVersion: "2010-09-09",
  Description:
    "prebake image rebuild: a privileged CodeBuild project that builds and pushes the toolchain images",
  Metadata: { Prebake: { Images: [], After: [], ImageParameters: {}, ProjectParameter: "ProjectName" } },
  Parameters: {
    ProjectName: {
      Type: "String",
      AllowedPattern: "^[a-z][a-z0-9-]{1,30}$",
      ConstraintDescription: "the project of prebake.config.yaml (lowercase letters, digits and dashes)",
      Description:
        "The prebake project (prebake deploy fills it in from prebake.config.yaml: project): the in-use scan reads its stacks in every environment",
    },
    SourceUploaders: {
      Type: "CommaDelimitedList",
      Default: "",
      Description:
        "IAM principal ARNs (ArnLike patterns) that may write the source bucket; empty: any principal of this account with s3:PutObject on it",
    },
    RebuildImage: {
      Type: "String",
      Default: CURATED_IMAGE,
      Description: "Image the rebuild runs in; it needs a Docker engine (privileged) and a shell",
    },
    SourceObjectKey: {
      Type: "String",
      Default: "source/prebake.zip",
      AllowedPattern: "^[A-Za-z0-9!_.*'()/-]+$",
      Description: "Key of the repository archive in the source bucket",
    },
    RebuildSchedule: {
      Type: "String",
      Default: DEFAULT_REBUILD_SCHEDULE,
      AllowedPattern: "^$|^(rate|cron)\\(.+\\)$",
      ConstraintDescription:
        "an EventBridge schedule expression such as rate(7 days) or cron(0 4 ? * MON *), or empty for no schedule",
      Description:
        "When the rebuild runs on its own (EventBridge schedule; empty: never). It pushes only images whose content hash changed, and a rebuilt base changes it",
    },
    LogRetentionDays: logRetentionParameter,
  },
  Conditions: {
    RebuildImageIsCurated: curatedImageCondition("RebuildImage"),
    HasRebuildSchedule: Not(Equals(Ref("RebuildSchedule"), "")),
    HasSourceUploaders: Not(Equals(Join("", Ref("SourceUploaders")), "")),
  },
  Resources: {
    SourceBucket: hardenedBucket(),
    SourceBucketPolicy: tlsOnlyPolicy("SourceBucket", sourceWriters()),
    RebuildLogGroup: logGroup(Sub("/aws/codebuild/${AWS::StackName}")),
    RebuildRole: resource("AWS::IAM::Role", {
      Description: "Runs prebake push inside CodeBuild: reads the source, pushes to the image repositories",
      AssumeRolePolicyDocument: serviceTrustPolicy(
        "codebuild.amazonaws.com",
        "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/${AWS::StackName}",
      ),
      Policies: [
        {
          PolicyName: "push-images",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              // GetAuthorizationToken has no resource-level permissions: "*" is the only valid scope.
              { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
              {
                Sid: "EcrPush",
                Effect: "Allow",
                Action: ECR_PUSH_ACTIONS,
                Resource: repositories.map(repositoryArn),
              },
              {
                // The lifecycle safety check reads the project's deployed stacks (parameters and
                // template bodies) to find the images in use, in every environment (the in-use scan
                // asks for <project>-<stack> and <project>-<env>-<stack>): read-only, and only this
                // project's stacks. The project is a parameter (deploy fills it): this stack's own
                // name, <project>-<env>-image-rebuild in a named environment, does not tell it.
                Sid: "InUseCheck",
                Effect: "Allow",
                Action: ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                Resource: Sub(
                  "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${ProjectName}-*/*",
                ),
              },
            ],
          },
        },
        {
          PolicyName: "read-source-write-logs",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion"],
                Resource: Sub("${SourceBucket.Arn}/*"),
              },
              {
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:GetBucketAcl"],
                Resource: GetAtt("SourceBucket", "Arn"),
              },
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: GetAtt("RebuildLogGroup", "Arn"),
              },
            ],
          },
        },
      ],
    }),
    RebuildProject: resource("AWS::CodeBuild::Project", {
      Name: Sub("${AWS::StackName}"),
      Description: "Rebuilds and pushes prebake's toolchain images (prebake push --profile aws)",
      ServiceRole: GetAtt("RebuildRole", "Arn"),
      Source: {
        Type: "S3",
        Location: Sub("${SourceBucket}/${SourceObjectKey}"),
        BuildSpec: "buildspecs/image-rebuild.yml",
      },
      Artifacts: { Type: "NO_ARTIFACTS" },
      Environment: {
        Type: "LINUX_CONTAINER",
        ComputeType: "BUILD_GENERAL1_MEDIUM",
        Image: Ref("RebuildImage"),
        ImagePullCredentialsType: pullCredentials("RebuildImageIsCurated"),
        PrivilegedMode: true,
      },
      LogsConfig: { CloudWatchLogs: { Status: "ENABLED", GroupName: Ref("RebuildLogGroup") } },
      TimeoutInMinutes: 60,
    }),
    // The scheduled rebuild runs the project on the source last uploaded (prebake codebuild
    // rebuild-images), so the images follow their bases between two commits too.
    RebuildScheduleRule: resource(
      "AWS::Events::Rule",
      {
        // Named, so the schedule role's trust policy can name the rule (aws:SourceArn).
        Name: Sub("${AWS::StackName}-rebuild-schedule"),
        Description: "Rebuilds the toolchain images on a schedule, so they keep their bases' fixes",
        ScheduleExpression: Ref("RebuildSchedule"),
        State: "ENABLED",
        Targets: [{ Id: "rebuild", Arn: rebuildProjectArn, RoleArn: GetAtt("RebuildScheduleRole", "Arn") }],
      },
      { Condition: "HasRebuildSchedule" },
    ),
    RebuildScheduleRole: resource(
      "AWS::IAM::Role",
      {
        Description: "Lets EventBridge start the image rebuild (and nothing else)",
        AssumeRolePolicyDocument: serviceTrustPolicy(
          "events.amazonaws.com",
          "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-rebuild-schedule",
        ),
        Policies: [
          {
            PolicyName: "start-rebuild",
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "codebuild:StartBuild", Resource: rebuildProjectArn }],
            },
          },
        ],
      },
      { Condition: "HasRebuildSchedule" },
    ),
  },
  Outputs: {
    // The name the project is given above, spelled out: the AWS emulator (moto) does not create
    // CodeBuild projects, and an output of a !Ref to one would be missing there.
    RebuildProjectName: {
      Description: "The image rebuild CodeBuild project",
      Value: Sub("${AWS::StackName}"),
    },
    SourceBucketName: { Description: "Upload the repository archive here", Value: Ref("SourceBucket") },
    RebuildRoleArn: { Description: "Role the rebuild runs as", Value: GetAtt("RebuildRole", "Arn") },
    RebuildLogGroupName: { Description: "Rebuild logs", Value: Ref("RebuildLogGroup") },
  },
});
