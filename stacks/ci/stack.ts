/**
 * The CI stack: one CodeBuild project per app (apps/<name>) and one layer project for every layer
 * (layers/<name>), all in the baked images; their service role (ECR pull scoped to the image
 * repositories), log groups, alarms and dashboard; a hardened artifacts bucket; and a CodePipeline
 * (V2) whose Build stage has one action per app and one per layer. Adding a folder adds its
 * project and action: nothing here names one app or layer.
 */
import { loadAppDefinitions } from "@prebake/codebuild";
import { ConfigError, listLayers } from "@prebake/core";
import { defineTemplate, GetAtt, Ref, resource, Sub } from "@prebake/stack";
import {
  appProject,
  checkDistinct,
  computeTypeParameter,
  imageParameters,
  imagesOf,
  LAYER_PROJECT,
  LAYER_VARIABLE,
  logGroupArns,
  monitoredProjects,
  ON_LAMBDA,
  onLambdaCondition,
  projectArn,
  projectName,
  projectOutputs,
  projectResources,
  usesComputeParameter,
} from "../build-projects.ts";
import {
  monitoringConditions,
  monitoringOutputs,
  monitoringParameters,
  monitoringResources,
} from "../monitoring.ts";
import { type BuildAction, pipelineOutputs, pipelineParameters, pipelineResources } from "../pipeline.ts";
import {
  hardenedBucket,
  logRetentionParameter,
  ROOT,
  repositoryArn,
  repositoryOf,
  serviceTrustPolicy,
  tlsOnlyPolicy,
} from "../shared.ts";

const apps = loadAppDefinitions(ROOT);
const layers = listLayers(ROOT);
if (apps.length === 0 && layers.length === 0) {
  throw new ConfigError("no apps and no layers to build", {
    where: "stacks/ci/stack.ts",
    fix: "add an app (nx g @prebake/nx-plugin:app <name>) or a layer (nx g @prebake/nx-plugin:layer <name>)",
  });
}

const appProjects = apps.map(appProject);
const projects = [...appProjects, ...(layers.length > 0 ? [LAYER_PROJECT] : [])];
checkDistinct(projects);
const images = imageParameters(projects);
const onComputeParameter = usesComputeParameter(projects);

const actions: BuildAction[] = [
  ...apps.map((app, i) => ({
    name: app.name,
    projectName: projectName(appProjects[i]!),
    projectArn: projectArn(appProjects[i]!),
    output: app.artifact,
  })),
  ...layers.map((layer) => ({
    name: layer,
    projectName: projectName(LAYER_PROJECT),
    projectArn: projectArn(LAYER_PROJECT),
    output: `${layer}-layer`,
    variables: { [LAYER_VARIABLE]: layer },
  })),
];

export default defineTemplate({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "prebake CI: CodeBuild projects on the baked toolchain images, run by a CodePipeline (V2)",
  Metadata: {
    Prebake: { Images: imagesOf(projects), After: ["image-rebuild"], ImageParameters: images.metadata },
  },
  Parameters: {
    ...images.parameters,
    ErlangVersion: {
      Type: "String",
      Default: "27.1",
      AllowedPattern: "^\\d+\\.\\d+(\\.\\d+){0,2}$",
      ConstraintDescription: "an Erlang/OTP version such as 27.1 or 26.2.5",
      Description: "Erlang/OTP version the image carries (exported to builds as ERLANG_VERSION)",
    },
    ...pipelineParameters,
    LogRetentionDays: logRetentionParameter,
    ...(onComputeParameter && { ComputeType: computeTypeParameter }),
    ...monitoringParameters,
    ...(layers.length > 0 && {
      LayerInstallDurationAlarmSeconds: {
        Type: "Number",
        Default: 30,
        MinValue: 1,
        Description:
          "Alarm when the layer build's INSTALL phase takes longer (seconds): it only activates the baked-in toolchain and prebake",
      },
    }),
  },
  Conditions: {
    ...(onComputeParameter && { [ON_LAMBDA]: onLambdaCondition }),
    ...images.conditions,
    ...monitoringConditions,
  },
  Resources: {
    ArtifactsBucket: hardenedBucket({ eventBridge: true }),
    ArtifactsBucketPolicy: tlsOnlyPolicy("ArtifactsBucket"),
    CodeBuildServiceRole: resource("AWS::IAM::Role", {
      Description: "Runs prebake's CI builds: pulls the baked images, writes their logs and artifacts",
      AssumeRolePolicyDocument: serviceTrustPolicy(
        "codebuild.amazonaws.com",
        "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/${AWS::StackName}-*",
      ),
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
                Resource: imagesOf(projects).map((image) => repositoryArn(repositoryOf(image))),
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
                Resource: logGroupArns(projects),
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
    ...projectResources(projects),
    ...pipelineResources(
      actions,
      projects.map((p) => `${p.id}Project`),
    ),
    ...monitoringResources(monitoredProjects(projects)),
  },
  Outputs: {
    ...monitoringOutputs,
    ...projectOutputs(projects),
    CodeBuildServiceRoleArn: {
      Description: "Role the CI builds run as",
      Value: GetAtt("CodeBuildServiceRole", "Arn"),
    },
    ArtifactsBucketName: {
      Description: "Pipeline source and artifacts bucket",
      Value: Ref("ArtifactsBucket"),
    },
    ...pipelineOutputs,
  },
});
