/**
 * The CI stack: the CodeBuild projects that build the Erlang app and the Python layer in the
 * baked images, their service role (ECR pull scoped to the image repositories), log groups,
 * a hardened artifacts bucket, and a CodePipeline (V2) whose Build stage runs both projects.
 */
import { defineTemplate, GetAtt, If, Ref, resource, Sub } from "@prebake/stack";
import {
  type MonitoredProject,
  monitoringConditions,
  monitoringOutputs,
  monitoringParameters,
  monitoringResources,
} from "../monitoring.ts";
import {
  CURATED_IMAGE,
  curatedImageCondition,
  hardenedBucket,
  logGroup,
  logRetentionParameter,
  pullCredentials,
  repositoryArn,
  repositoryOf,
  tlsOnlyPolicy,
} from "../shared.ts";

const erlangRepository = repositoryOf("erlang-otp");
const ERLANG_APP = "erlang-app";
const PYTHON_LAYER = "python-layer";

/**
 * Project names and ARNs are spelled out rather than taken with !Ref/!GetAtt of the projects:
 * the names are fixed by this template anyway, and the AWS emulator (moto) does not create
 * CodeBuild projects, so a !GetAtt of one would fail the whole local deploy (and a !Ref of one
 * would drop the output).
 */
const projectName = (suffix: string) => Sub(`\${AWS::StackName}-${suffix}`);
const projectArn = (suffix: string) =>
  Sub(
    `arn:\${AWS::Partition}:codebuild:\${AWS::Region}:\${AWS::AccountId}:project/\${AWS::StackName}-${suffix}`,
  );
const layerRepository = repositoryOf("python-layer");
/** The projects the dashboard shows and the alarms watch. */
const monitored: MonitoredProject[] = [
  { id: "ErlangApp", label: "erlang-app", nameTemplate: `\${AWS::StackName}-${ERLANG_APP}` },
  {
    id: "LayerBuild",
    label: "python-layer",
    nameTemplate: `\${AWS::StackName}-${PYTHON_LAYER}`,
    installThresholdParameter: "LayerInstallDurationAlarmSeconds",
  },
];
/** The pipeline is named after the stack (Name below), so its ARN is known without a !GetAtt. */
const pipelineArn = Sub(
  "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}",
);

/**
 * CodeBuild's compute types: EC2 (BUILD_GENERAL1_*) or Lambda (BUILD_LAMBDA_*, environment type
 * LINUX_LAMBDA_CONTAINER). Lambda compute starts faster but has no custom build timeout, no
 * on-failure, cache, Docker or root tools: `prebake buildspec validate --compute lambda` checks
 * a buildspec for it, and its custom image must be single-architecture with curl or wget.
 */
const EC2_COMPUTE = [
  "BUILD_GENERAL1_SMALL",
  "BUILD_GENERAL1_MEDIUM",
  "BUILD_GENERAL1_LARGE",
  "BUILD_GENERAL1_XLARGE",
];
const LAMBDA_COMPUTE = [
  "BUILD_LAMBDA_1GB",
  "BUILD_LAMBDA_2GB",
  "BUILD_LAMBDA_4GB",
  "BUILD_LAMBDA_8GB",
  "BUILD_LAMBDA_10GB",
];
const ON_LAMBDA = "ErlangAppOnLambda";

/** The compute of a project: fixed EC2, or the ComputeType parameter (the environment type and timeout follow it). */
function compute(kind: "ec2" | "parameter") {
  if (kind === "ec2") return { type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_SMALL", timeout: 30 };
  return {
    type: If(ON_LAMBDA, "LINUX_LAMBDA_CONTAINER", "LINUX_CONTAINER"),
    computeType: Ref("ComputeType"),
    // Lambda compute takes no build timeout (its builds end at 15 minutes).
    timeout: If(ON_LAMBDA, Ref("AWS::NoValue"), 30),
  };
}

function buildProject(opts: {
  suffix: string;
  buildspec: string;
  image: string;
  curated: string;
  logGroupId: string;
  description: string;
  compute: ReturnType<typeof compute>;
}) {
  return resource("AWS::CodeBuild::Project", {
    Name: projectName(opts.suffix),
    Description: opts.description,
    ServiceRole: GetAtt("CodeBuildServiceRole", "Arn"),
    Source: { Type: "CODEPIPELINE", BuildSpec: opts.buildspec },
    Artifacts: { Type: "CODEPIPELINE" },
    Environment: {
      Type: opts.compute.type,
      ComputeType: opts.compute.computeType,
      Image: Ref(opts.image),
      ImagePullCredentialsType: pullCredentials(opts.curated),
      EnvironmentVariables: [{ Name: "ERLANG_VERSION", Type: "PLAINTEXT", Value: Ref("ErlangVersion") }],
    },
    LogsConfig: { CloudWatchLogs: { Status: "ENABLED", GroupName: Ref(opts.logGroupId) } },
    TimeoutInMinutes: opts.compute.timeout,
  });
}

export default defineTemplate({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "prebake CI: CodeBuild projects on the baked toolchain images, run by a CodePipeline (V2)",
  Metadata: {
    Prebake: {
      Images: ["erlang-otp", "python-layer"],
      After: ["image-rebuild"],
      ImageParameters: { CodeBuildImage: "erlang-otp", LayerBuildImage: "python-layer" },
    },
  },
  Parameters: {
    CodeBuildImage: {
      Type: "String",
      Default: CURATED_IMAGE,
      Description:
        "Image of the Erlang app project: the digest-pinned erlang-otp image (prebake deploy fills it in)",
    },
    LayerBuildImage: {
      Type: "String",
      Default: CURATED_IMAGE,
      Description: "Image of the Python layer project: the digest-pinned python-layer image",
    },
    ErlangVersion: {
      Type: "String",
      Default: "27.1",
      AllowedPattern: "^\\d+\\.\\d+(\\.\\d+){0,2}$",
      ConstraintDescription: "an Erlang/OTP version such as 27.1 or 26.2.5",
      Description: "Erlang/OTP version the image carries (exported to builds as ERLANG_VERSION)",
    },
    SourceObjectKey: {
      Type: "String",
      Default: "source/prebake.zip",
      AllowedPattern: "^[A-Za-z0-9!_.*'()/-]+$",
      Description: "Key of the source archive in the artifacts bucket that starts the pipeline",
    },
    LogRetentionDays: logRetentionParameter,
    ComputeType: {
      Type: "String",
      Default: "BUILD_GENERAL1_SMALL",
      AllowedValues: [...EC2_COMPUTE, ...LAMBDA_COMPUTE],
      Description:
        "Compute of the Erlang app project: BUILD_GENERAL1_* (EC2) or BUILD_LAMBDA_* (Lambda compute, environment LINUX_LAMBDA_CONTAINER)",
    },
    ...monitoringParameters,
    LayerInstallDurationAlarmSeconds: {
      Type: "Number",
      Default: 240,
      MinValue: 1,
      Description:
        "Alarm when the layer build's INSTALL phase takes longer (seconds): it runs npm ci to get prebake itself",
    },
  },
  Conditions: {
    [ON_LAMBDA]: {
      "Fn::Equals": [{ "Fn::Select": [1, { "Fn::Split": ["_", Ref("ComputeType")] }] }, "LAMBDA"],
    },
    CodeBuildImageIsCurated: curatedImageCondition("CodeBuildImage"),
    LayerBuildImageIsCurated: curatedImageCondition("LayerBuildImage"),
    ...monitoringConditions,
  },
  Resources: {
    ArtifactsBucket: hardenedBucket({ eventBridge: true }),
    ArtifactsBucketPolicy: tlsOnlyPolicy("ArtifactsBucket"),
    ErlangAppLogGroup: logGroup(Sub("/aws/codebuild/${AWS::StackName}-erlang-app")),
    LayerBuildLogGroup: logGroup(Sub("/aws/codebuild/${AWS::StackName}-python-layer")),
    CodeBuildServiceRole: resource("AWS::IAM::Role", {
      Description: "Runs prebake's CI builds: pulls the baked images, writes its logs and artifacts",
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [
        {
          PolicyName: "pull-baked-images",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              // GetAuthorizationToken has no resource-level permissions: "*" is the only valid scope.
              { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
              {
                Sid: "EcrPull",
                Effect: "Allow",
                Action: [
                  "ecr:BatchCheckLayerAvailability",
                  "ecr:GetDownloadUrlForLayer",
                  "ecr:BatchGetImage",
                ],
                Resource: [repositoryArn(erlangRepository), repositoryArn(layerRepository)],
              },
            ],
          },
        },
        {
          PolicyName: "write-build-logs",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: [GetAtt("ErlangAppLogGroup", "Arn"), GetAtt("LayerBuildLogGroup", "Arn")],
              },
            ],
          },
        },
        {
          PolicyName: "pipeline-artifacts",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                Resource: Sub("${ArtifactsBucket.Arn}/*"),
              },
              {
                // An upload of the source archive starts the pipeline: a build must not be able to
                // replace (or remove) what the next run builds. An explicit Deny wins over the Allow above.
                Sid: "NoSourceOverwrite",
                Effect: "Deny",
                Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                Resource: [
                  Sub("${ArtifactsBucket.Arn}/source/*"),
                  Sub("${ArtifactsBucket.Arn}/${SourceObjectKey}"),
                ],
              },
              {
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:GetBucketAcl"],
                Resource: GetAtt("ArtifactsBucket", "Arn"),
              },
            ],
          },
        },
      ],
    }),
    ErlangAppProject: buildProject({
      suffix: "erlang-app",
      buildspec: "buildspecs/erlang-app.yml",
      image: "CodeBuildImage",
      curated: "CodeBuildImageIsCurated",
      logGroupId: "ErlangAppLogGroup",
      description:
        "Builds, tests and releases the Erlang app with the preinstalled Erlang/OTP (install = activate)",
      compute: compute("parameter"),
    }),
    LayerBuildProject: buildProject({
      suffix: "python-layer",
      buildspec: "buildspecs/python-layer.yml",
      image: "LayerBuildImage",
      curated: "LayerBuildImageIsCurated",
      logGroupId: "LayerBuildLogGroup",
      description: "Builds and validates the Python Lambda layer in the python-layer image",
      // The layer build installs packages and runs containers: EC2 compute only.
      compute: compute("ec2"),
    }),
    PipelineRole: resource("AWS::IAM::Role", {
      Description: "Runs prebake's CI pipeline: reads the source archive, starts the two builds",
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "codepipeline.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [
        {
          PolicyName: "run-builds",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                Resource: [projectArn(ERLANG_APP), projectArn(PYTHON_LAYER)],
              },
              {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                Resource: Sub("${ArtifactsBucket.Arn}/*"),
              },
              {
                Effect: "Allow",
                Action: ["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:ListBucket"],
                Resource: GetAtt("ArtifactsBucket", "Arn"),
              },
            ],
          },
        },
      ],
    }),
    Pipeline: resource(
      "AWS::CodePipeline::Pipeline",
      {
        Name: Sub("${AWS::StackName}"),
        PipelineType: "V2",
        RoleArn: GetAtt("PipelineRole", "Arn"),
        ArtifactStore: { Type: "S3", Location: Ref("ArtifactsBucket") },
        Stages: [
          {
            Name: "Source",
            Actions: [
              {
                Name: "SourceArchive",
                ActionTypeId: { Category: "Source", Owner: "AWS", Provider: "S3", Version: "1" },
                Configuration: {
                  S3Bucket: Ref("ArtifactsBucket"),
                  S3ObjectKey: Ref("SourceObjectKey"),
                  PollForSourceChanges: false,
                },
                OutputArtifacts: [{ Name: "Source" }],
              },
            ],
          },
          {
            Name: "Build",
            Actions: [
              {
                Name: "ErlangApp",
                ActionTypeId: { Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1" },
                Configuration: { ProjectName: projectName(ERLANG_APP) },
                InputArtifacts: [{ Name: "Source" }],
                OutputArtifacts: [{ Name: "ErlangRelease" }],
                RunOrder: 1,
              },
              {
                Name: "PythonLayer",
                ActionTypeId: { Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1" },
                Configuration: { ProjectName: projectName(PYTHON_LAYER) },
                InputArtifacts: [{ Name: "Source" }],
                OutputArtifacts: [{ Name: "PythonLayer" }],
                RunOrder: 1,
              },
            ],
          },
        ],
      },
      { DependsOn: ["ErlangAppProject", "LayerBuildProject"] },
    ),
    // PollForSourceChanges is off (polling is deprecated): an upload of the source archive starts
    // the pipeline through the bucket's EventBridge events instead. Only that one key matches, so
    // the artifacts the pipeline itself writes to the bucket do not start it again.
    SourceUploadedRule: resource("AWS::Events::Rule", {
      Description: "Starts the CI pipeline when the source archive is uploaded",
      EventPattern: {
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [Ref("ArtifactsBucket")] }, object: { key: [Ref("SourceObjectKey")] } },
      },
      State: "ENABLED",
      Targets: [{ Id: "pipeline", Arn: pipelineArn, RoleArn: GetAtt("PipelineTriggerRole", "Arn") }],
    }),
    PipelineTriggerRole: resource("AWS::IAM::Role", {
      Description: "Lets EventBridge start the CI pipeline (and nothing else)",
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [
        {
          PolicyName: "start-pipeline",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "codepipeline:StartPipelineExecution", Resource: pipelineArn },
            ],
          },
        },
      ],
    }),
    ...monitoringResources(monitored),
  },
  Outputs: {
    ...monitoringOutputs,
    ErlangAppProjectName: {
      Description: "CodeBuild project of the Erlang app",
      Value: projectName(ERLANG_APP),
    },
    LayerBuildProjectName: {
      Description: "CodeBuild project of the Python layer",
      Value: projectName(PYTHON_LAYER),
    },
    CodeBuildServiceRoleArn: {
      Description: "Role the CI builds run as",
      Value: GetAtt("CodeBuildServiceRole", "Arn"),
    },
    ArtifactsBucketName: {
      Description: "Pipeline source and artifacts bucket",
      Value: Ref("ArtifactsBucket"),
    },
    PipelineName: { Description: "The CI pipeline", Value: Sub("${AWS::StackName}") },
    ErlangAppLogGroupName: { Description: "Build logs of the Erlang app", Value: Ref("ErlangAppLogGroup") },
    LayerBuildLogGroupName: {
      Description: "Build logs of the Python layer",
      Value: Ref("LayerBuildLogGroup"),
    },
  },
});
