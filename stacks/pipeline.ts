/**
 * A CodePipeline (V2) over CodeBuild projects: a Source stage that takes the source archive from
 * the artifacts bucket (an upload starts it, through EventBridge), and a Build stage with one
 * action per build. A stack spreads these parts into its template, next to the projects and the
 * ArtifactsBucket it defines.
 */
import { ConfigError } from "@prebake/core";
import { GetAtt, type Intrinsic, Ref, resource, Sub } from "@prebake/stack";
import { serviceTrustPolicy } from "./shared.ts";

export interface BuildAction {
  /** The action's name in the Build stage (the stage table shows it). */
  name: string;
  /** The CodeBuild project it starts (its deployed name) and that project's ARN. */
  projectName: Intrinsic;
  projectArn: Intrinsic;
  /** Its output artifact: a zip of the build's artifacts. */
  output: string;
  /** The action's own variables (CodePipeline passes them to the build over the project's). */
  variables?: Record<string, string>;
}

/** The pipeline is named after the stack (Name below), so its ARN is known without a !GetAtt. */
const pipelineArn = Sub(
  "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}",
);

export const pipelineParameters = {
  SourceObjectKey: {
    Type: "String",
    Default: "source/prebake.zip",
    AllowedPattern: "^[A-Za-z0-9!_.*'()/-]+$",
    Description: "Key of the source archive in the artifacts bucket that starts the pipeline",
  },
};

/** Action and artifact names must be unique in a pipeline; say which folders clash before CloudFormation does. */
function checkNames(actions: BuildAction[]): void {
  for (const key of ["name", "output"] as const) {
    const seen = new Set<string>(["SourceArchive", "Source"]);
    for (const a of actions) {
      if (seen.has(a[key])) {
        throw new ConfigError(
          `two pipeline actions get the ${key === "name" ? "name" : "output artifact"} '${a[key]}'`,
          {
            where: `stacks/ci: Resources.Pipeline (action ${a.name})`,
            fix:
              key === "name"
                ? "rename one of the folders"
                : "give one app another artifact name (app.yaml: artifact)",
          },
        );
      }
      seen.add(a[key]);
    }
  }
}

function buildAction(a: BuildAction) {
  const variables = Object.entries(a.variables ?? {});
  return {
    Name: a.name,
    ActionTypeId: { Category: "Build" as const, Owner: "AWS", Provider: "CodeBuild", Version: "1" },
    Configuration: {
      ProjectName: a.projectName,
      ...(variables.length > 0 && {
        EnvironmentVariables: JSON.stringify(
          variables.map(([name, value]) => ({ name, value, type: "PLAINTEXT" })),
        ),
      }),
    },
    InputArtifacts: [{ Name: "Source" }],
    OutputArtifacts: [{ Name: a.output }],
    // All in parallel in CodePipeline (one after the other in a local run).
    RunOrder: 1,
  };
}

/**
 * The pipeline, its role (reads the source, starts the builds), and the EventBridge rule and role
 * that start it when the source archive is uploaded. `dependsOn` are the projects' logical ids.
 */
export function pipelineResources(actions: BuildAction[], dependsOn: string[]) {
  checkNames(actions);
  const projectArns = [...new Map(actions.map((a) => [JSON.stringify(a.projectArn), a.projectArn])).values()];
  return {
    PipelineRole: resource("AWS::IAM::Role", {
      Description: "Runs the CI pipeline: reads the source archive, starts the builds",
      AssumeRolePolicyDocument: serviceTrustPolicy(
        "codepipeline.amazonaws.com",
        "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}",
      ),
      Policies: [
        {
          PolicyName: "run-builds",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                Resource: projectArns,
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
          { Name: "Build", Actions: actions.map(buildAction) },
        ],
      },
      { DependsOn: dependsOn },
    ),
    // PollForSourceChanges is off (polling is deprecated): an upload of the source archive starts
    // the pipeline through the bucket's EventBridge events instead. Only that one key matches, so
    // the artifacts the pipeline itself writes to the bucket do not start it again.
    SourceUploadedRule: resource("AWS::Events::Rule", {
      // Named, so the trigger role's trust policy can name the rule (aws:SourceArn).
      Name: Sub("${AWS::StackName}-source-uploaded"),
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
      AssumeRolePolicyDocument: serviceTrustPolicy(
        "events.amazonaws.com",
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-source-uploaded",
      ),
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
  };
}

export const pipelineOutputs = {
  PipelineName: { Description: "The CI pipeline", Value: Sub("${AWS::StackName}") },
};
