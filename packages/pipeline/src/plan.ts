/**
 * What a local pipeline run will do, decided before anything runs: which actions run (the source
 * action as the committed tree, CodeBuild actions in the local runner with their projects'
 * settings and images), which are skipped, and why. A missing image or a project that is not in
 * the stack fails here, before the first container.
 */
import { type ProjectSettings, projectSettings, resolveProjectImage } from "@prebake/codebuild";
import { ConfigError, type Context } from "@prebake/core";
import { readStackTemplate } from "@prebake/stack";
import {
  actionVariables,
  findPipeline,
  type PipelineAction,
  type PipelineModel,
  primaryAndSecondary,
  readPipeline,
} from "./model.ts";

export type PlannedAction =
  | { kind: "source"; action: PipelineAction }
  | {
      kind: "codebuild";
      action: PipelineAction;
      settings: ProjectSettings;
      image: string;
      imageSource: string;
      primary: string;
      secondary: string[];
      variables: Record<string, string>;
    }
  | { kind: "skipped"; action: PipelineAction; reason: string };

export interface PipelinePlan {
  model: PipelineModel;
  actions: PlannedAction[];
}

/** `ci` or `ci/Pipeline`: the stack, and the pipeline's logical id when the stack has several. */
export function parsePipelineRef(ref: string): { stack: string; logicalId: string | undefined } {
  const [stack, logicalId, extra] = ref.split("/");
  if (!stack || extra !== undefined) {
    throw new ConfigError(`'${ref}' is not <stack> or <stack>/<LogicalId>`, {
      where: "pipeline",
      fix: "e.g. prebake pipeline run ci",
    });
  }
  return { stack, logicalId: logicalId || undefined };
}

/** Read the pipeline of stacks/<stack>/stack.yaml. */
export function loadPipeline(ctx: Context, ref: string): PipelineModel {
  const { stack, logicalId } = parsePipelineRef(ref);
  const { template, where } = readStackTemplate(ctx.config.rootDir, stack);
  return readPipeline(template, {
    stack,
    logicalId: findPipeline(template, where, logicalId),
    project: ctx.config.project,
    where,
  });
}

async function planCodeBuild(
  ctx: Context,
  model: PipelineModel,
  action: PipelineAction,
): Promise<PlannedAction> {
  if (!action.projectId) {
    throw new ConfigError(
      `the project ${JSON.stringify(action.configuration.ProjectName)} is not defined in this stack`,
      {
        where: `${action.where}.Configuration.ProjectName`,
        fix: "a local run takes the project's image and buildspec from the same stack: !Ref the project, or use its Name",
      },
    );
  }
  if (action.outputs.length > 1) {
    throw new ConfigError(
      "several output artifacts (secondary-artifacts) are not produced by a local pipeline run",
      {
        where: `${action.where}.OutputArtifacts`,
        fix: "give the action one output artifact (the buildspec's artifacts section), or run it in AWS",
      },
    );
  }
  const root = ctx.config.rootDir;
  const settings = projectSettings(
    root,
    `${model.stack}/${action.projectId}`,
    ctx.config.profile.kind,
    ctx.config.stacks[model.stack]?.parameters,
  );
  const { image, imageSource } = await resolveProjectImage(ctx, settings);
  if (!image) {
    throw new ConfigError(`no image to run in: ${imageSource}`, {
      where: `${model.where}: ${action.stage}/${action.name}`,
      fix: "push the project's image first",
    });
  }
  return {
    kind: "codebuild",
    action,
    settings,
    image,
    imageSource,
    ...primaryAndSecondary(action),
    variables: actionVariables(action),
  };
}

/**
 * Plan every action. An action that is neither a source nor a CodeBuild action is skipped (a
 * manual approval, a deploy); a runnable action that needs its output cannot run, so that is an
 * error now rather than halfway through.
 */
export async function planPipeline(ctx: Context, model: PipelineModel): Promise<PipelinePlan> {
  const actions: PlannedAction[] = [];
  const unavailable = new Map<string, PipelineAction>();
  for (const stage of model.stages) {
    for (const action of stage.actions) {
      const missing = action.inputs.find((i) => unavailable.has(i));
      if (action.category === "Source") {
        actions.push({ kind: "source", action });
      } else if (action.owner === "AWS" && action.provider === "CodeBuild") {
        if (missing) {
          const from = unavailable.get(missing)!;
          throw new ConfigError(
            `input '${missing}' comes from ${from.stage}/${from.name} (${from.category}/${from.provider}), which a local run does not run`,
            { where: `${action.where}.InputArtifacts`, fix: "run this pipeline in AWS (--profile aws)" },
          );
        }
        actions.push(await planCodeBuild(ctx, model, action));
      } else {
        for (const output of action.outputs) unavailable.set(output, action);
        actions.push({
          kind: "skipped",
          action,
          reason: `not run locally: ${action.category}/${action.provider}`,
        });
      }
    }
  }
  return { model, actions };
}
