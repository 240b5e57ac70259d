/**
 * The ci stack's CodeBuild projects: one per app (apps/<name>, read through @prebake/codebuild's
 * app definitions) and the one layer project, which builds the layer its pipeline action names.
 * Each project gets a log group, and the images the projects run in get one parameter each.
 *
 * Logical ids and names follow the folder: apps/hello-erlang is HelloErlangAppProject (and
 * HelloErlangAppLogGroup, HelloErlangApp*Alarm), deployed as <stack>-hello-erlang. The layer
 * project keeps LayerBuildProject (<stack>-python-layer) for every layer.
 */
import {
  APP_DIR_VARIABLE,
  type AppDefinition,
  ARTIFACT_VARIABLE,
  COMPUTE_TYPES,
  isLambdaCompute,
} from "@prebake/codebuild";
import { appResourceId, ConfigError, pascalCase } from "@prebake/core";
import { GetAtt, If, type Intrinsic, Ref, resource, Sub } from "@prebake/stack";
import type { MonitoredProject } from "./monitoring.ts";
import { CURATED_IMAGE, curatedImageCondition, logGroup, pullCredentials } from "./shared.ts";

export interface BuildProject {
  /** Logical id prefix: <id>Project, <id>LogGroup, <id>*Alarm. */
  id: string;
  /** The deployed project is <stack>-<suffix>; its log group /aws/codebuild/<stack>-<suffix>. */
  suffix: string;
  image: string;
  buildspec: string;
  description: string;
  /** A fixed compute type, or undefined for the stack's ComputeType parameter. */
  computeType: string | undefined;
  variables: Record<string, string>;
  /** The parameter holding this project's INSTALL alarm threshold (default InstallDurationAlarmSeconds). */
  installThresholdParameter?: string;
}

/** What the layer project's buildspec builds: the layer folder's name, set by each pipeline action. */
export const LAYER_VARIABLE = "PREBAKE_LAYER";

/** Where app projects on the ComputeType parameter take Lambda compute. */
export const ON_LAMBDA = "AppsOnLambda";

/** An app's project: the shared buildspec finds the app by PREBAKE_APP_DIR. */
export function appProject(app: AppDefinition): BuildProject {
  return {
    id: appResourceId(app.name),
    suffix: app.name,
    image: app.image,
    buildspec: app.buildspec,
    description:
      app.description ??
      `Builds, tests and releases ${app.folder} in the baked ${app.image} image (install = activate)`,
    computeType: app.computeType,
    variables: { [APP_DIR_VARIABLE]: app.folder, [ARTIFACT_VARIABLE]: app.artifact, ...app.environment },
  };
}

/** The layer project: one for every layer; each pipeline action sets PREBAKE_LAYER to its layer. */
export const LAYER_PROJECT: BuildProject = {
  id: "LayerBuild",
  suffix: "python-layer",
  image: "python-layer",
  buildspec: "buildspecs/python-layer.yml",
  description: `Builds and validates the Python Lambda layer its pipeline action names (${LAYER_VARIABLE})`,
  // EC2 compute only: the layer build installs packages and runs containers.
  computeType: "BUILD_GENERAL1_SMALL",
  variables: {},
  installThresholdParameter: "LayerInstallDurationAlarmSeconds",
};

/**
 * The template parameter an image's digest-pinned uri goes in. The two images the stack had before
 * apps were folders keep their parameters' names: configuration files and promoted stacks' origin
 * tags (prebake:origin:<Parameter>) name them.
 */
export function imageParameterOf(image: string): string {
  const kept: Record<string, string> = { "erlang-otp": "CodeBuildImage", "python-layer": "LayerBuildImage" };
  return kept[image] ?? `${pascalCase(image.replace(/[._]/g, "-"))}Image`;
}

const curatedConditionOf = (image: string) => `${imageParameterOf(image)}IsCurated`;

/** The images the projects run in, sorted. */
export const imagesOf = (projects: BuildProject[]) => [...new Set(projects.map((p) => p.image))].sort();

/** One parameter and one curated-image condition per image the projects run in. */
export function imageParameters(projects: BuildProject[]) {
  const images = imagesOf(projects);
  return {
    parameters: Object.fromEntries(
      images.map((image) => [
        imageParameterOf(image),
        {
          Type: "String",
          Default: CURATED_IMAGE,
          Description: `Image of the projects that build in ${image}: its digest-pinned uri (prebake deploy fills it in)`,
        },
      ]),
    ),
    conditions: Object.fromEntries(
      images.map((image) => [curatedConditionOf(image), curatedImageCondition(imageParameterOf(image))]),
    ),
    metadata: Object.fromEntries(images.map((image) => [imageParameterOf(image), image])),
  };
}

/** Whether any project takes its compute from the ComputeType parameter (else the parameter is left out). */
export const usesComputeParameter = (projects: BuildProject[]) =>
  projects.some((p) => p.computeType === undefined);

export const computeTypeParameter = {
  Type: "String",
  Default: "BUILD_GENERAL1_SMALL",
  AllowedValues: [...COMPUTE_TYPES],
  Description:
    "Compute of the app projects whose app.yaml names none: BUILD_GENERAL1_* (EC2) or BUILD_LAMBDA_* (Lambda compute, environment LINUX_LAMBDA_CONTAINER)",
};

export const onLambdaCondition = {
  "Fn::Equals": [{ "Fn::Select": [1, { "Fn::Split": ["_", Ref("ComputeType")] }] }, "LAMBDA"],
};

/** The environment type, compute type and timeout: fixed, or following the ComputeType parameter. */
function compute(p: BuildProject): {
  type: Intrinsic | string;
  computeType: Intrinsic | string;
  timeout?: Intrinsic | number;
} {
  if (p.computeType === undefined) {
    return {
      type: If(ON_LAMBDA, "LINUX_LAMBDA_CONTAINER", "LINUX_CONTAINER"),
      computeType: Ref("ComputeType"),
      // Lambda compute takes no build timeout (its builds end at 15 minutes).
      timeout: If(ON_LAMBDA, Ref("AWS::NoValue"), 30),
    };
  }
  if (isLambdaCompute(p.computeType)) {
    return { type: "LINUX_LAMBDA_CONTAINER", computeType: p.computeType };
  }
  return { type: "LINUX_CONTAINER", computeType: p.computeType, timeout: 30 };
}

/**
 * Project names and ARNs are spelled out rather than taken with !Ref/!GetAtt of the projects:
 * the names are fixed by this template anyway, and the AWS emulator (moto) does not create
 * CodeBuild projects, so a !GetAtt of one would fail the whole local deploy (and a !Ref of one
 * would drop the output).
 */
export const projectName = (p: BuildProject) => Sub(`\${AWS::StackName}-${p.suffix}`);
export const projectArn = (p: BuildProject) =>
  Sub(
    `arn:\${AWS::Partition}:codebuild:\${AWS::Region}:\${AWS::AccountId}:project/\${AWS::StackName}-${p.suffix}`,
  );

/** Two folders must not give the same logical id or project name (an app named python-layer would). */
export function checkDistinct(projects: BuildProject[]): void {
  const seen = new Map<string, BuildProject>();
  for (const p of projects) {
    for (const key of [`id ${p.id}`, `name ${p.suffix}`]) {
      const other = seen.get(key);
      if (other) {
        throw new ConfigError(`two CodeBuild projects get the ${key}`, {
          where: `stacks/ci (${p.variables[APP_DIR_VARIABLE] ?? p.suffix} and ${other.variables[APP_DIR_VARIABLE] ?? other.suffix})`,
          fix: "rename one of the folders",
        });
      }
      seen.set(key, p);
    }
  }
}

/** Per project: its CodeBuild project and its log group. */
export function projectResources(projects: BuildProject[]) {
  return Object.fromEntries(
    projects.flatMap((p) => {
      const c = compute(p);
      return [
        [`${p.id}LogGroup`, logGroup(Sub(`/aws/codebuild/\${AWS::StackName}-${p.suffix}`))],
        [
          `${p.id}Project`,
          resource("AWS::CodeBuild::Project", {
            Name: projectName(p),
            Description: p.description,
            ServiceRole: GetAtt("CodeBuildServiceRole", "Arn"),
            Source: { Type: "CODEPIPELINE", BuildSpec: p.buildspec },
            Artifacts: { Type: "CODEPIPELINE" },
            Environment: {
              Type: c.type,
              ComputeType: c.computeType,
              Image: Ref(imageParameterOf(p.image)),
              ImagePullCredentialsType: pullCredentials(curatedConditionOf(p.image)),
              EnvironmentVariables: [
                { Name: "ERLANG_VERSION", Type: "PLAINTEXT", Value: Ref("ErlangVersion") },
                ...Object.entries(p.variables).map(([Name, Value]) => ({ Name, Type: "PLAINTEXT", Value })),
              ],
            },
            LogsConfig: { CloudWatchLogs: { Status: "ENABLED", GroupName: Ref(`${p.id}LogGroup`) } },
            TimeoutInMinutes: c.timeout,
          }),
        ],
      ];
    }),
  );
}

/** What the dashboard shows and the alarms watch. */
export const monitoredProjects = (projects: BuildProject[]): MonitoredProject[] =>
  projects.map((p) => ({
    id: p.id,
    label: p.suffix,
    nameTemplate: `\${AWS::StackName}-${p.suffix}`,
    installThresholdParameter: p.installThresholdParameter,
  }));

/** Per project: its name and log group as outputs. */
export function projectOutputs(projects: BuildProject[]) {
  return Object.fromEntries(
    projects.flatMap((p) => [
      [`${p.id}ProjectName`, { Description: `CodeBuild project ${p.suffix}`, Value: projectName(p) }],
      [`${p.id}LogGroupName`, { Description: `Build logs of ${p.suffix}`, Value: Ref(`${p.id}LogGroup`) }],
    ]),
  );
}

/** The log groups the service role may write to. */
export const logGroupArns = (projects: BuildProject[]) =>
  projects.map((p) => GetAtt(`${p.id}LogGroup`, "Arn"));
