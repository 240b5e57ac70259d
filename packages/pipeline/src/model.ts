/**
 * The CodePipeline a rendered stack defines (AWS::CodePipeline::Pipeline), reduced to what a run
 * needs: stages in order, each stage's actions grouped by runOrder, the artifacts they read and
 * write, and for CodeBuild actions the project resource they start. Pure, so it is unit-tested;
 * every problem is one ConfigError naming the template field.
 */
import { ConfigError, cloudFormationStackName } from "@prebake/core";
import { asIntrinsic, type Template } from "@prebake/stack";

export interface PipelineAction {
  stage: string;
  name: string;
  category: string;
  owner: string;
  provider: string;
  runOrder: number;
  inputs: string[];
  outputs: string[];
  configuration: Record<string, unknown>;
  /** For a CodeBuild action: the logical id of the AWS::CodeBuild::Project it starts, when in this template. */
  projectId: string | undefined;
  /** Where the action is in the template, for messages. */
  where: string;
}

export interface PipelineStage {
  name: string;
  actions: PipelineAction[];
}

export interface PipelineModel {
  /** The stack it comes from, and the pipeline's logical id there. */
  stack: string;
  logicalId: string;
  /** The pipeline's name once deployed (its Name, with ${AWS::StackName} filled in). */
  name: string;
  stages: PipelineStage[];
  where: string;
}

/** CodePipeline's artifact and action names; a secondary input's name also becomes a variable name. */
const NAME = /^[A-Za-z0-9.@_-]{1,100}$/;

interface RawAction {
  Name?: unknown;
  ActionTypeId?: { Category?: unknown; Owner?: unknown; Provider?: unknown };
  RunOrder?: unknown;
  InputArtifacts?: { Name?: unknown }[];
  OutputArtifacts?: { Name?: unknown }[];
  Configuration?: Record<string, unknown>;
}

/**
 * A Name as it is once deployed: a literal, or a !Sub whose only variable is ${AWS::StackName}
 * (what prebake's stacks use for physical names). Undefined for anything else.
 */
export function physicalName(value: unknown, stackName: string): string | undefined {
  if (typeof value === "string") return value;
  const fn = asIntrinsic(value);
  if (fn?.name !== "Sub" || typeof fn.arg !== "string") return undefined;
  const text = fn.arg.replaceAll("${AWS::StackName}", stackName);
  return text.includes("${") ? undefined : text;
}

/** The AWS::CodePipeline::Pipeline of a template: the only one, or the one `logicalId` names. */
export function findPipeline(template: Template, where: string, logicalId?: string): string {
  const pipelines = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::CodePipeline::Pipeline")
    .map(([id]) => id);
  if (logicalId) {
    if (pipelines.includes(logicalId)) return logicalId;
    throw new ConfigError(`no AWS::CodePipeline::Pipeline '${logicalId}'`, {
      where,
      fix: pipelines.length ? `use one of: ${pipelines.join(", ")}` : "this stack defines no pipeline",
    });
  }
  if (pipelines.length === 1) return pipelines[0]!;
  throw new ConfigError(
    pipelines.length === 0 ? "defines no AWS::CodePipeline::Pipeline" : "defines more than one pipeline",
    {
      where,
      fix: pipelines.length
        ? `name one: <stack>/<LogicalId> (${pipelines.join(", ")})`
        : "pick a stack with a pipeline",
    },
  );
}

/** The CodeBuild project resource a CodeBuild action starts: a !Ref to it, or its physical name. */
function projectOf(template: Template, projectName: unknown, stackName: string): string | undefined {
  const ref = asIntrinsic(projectName);
  if (ref?.name === "Ref" && typeof ref.arg === "string") {
    return template.Resources[ref.arg]?.Type === "AWS::CodeBuild::Project" ? ref.arg : undefined;
  }
  const wanted = physicalName(projectName, stackName);
  if (wanted === undefined) return undefined;
  return Object.entries(template.Resources).find(
    ([, r]) => r.Type === "AWS::CodeBuild::Project" && physicalName(r.Properties?.Name, stackName) === wanted,
  )?.[0];
}

function artifactNames(list: { Name?: unknown }[] | undefined, where: string): string[] {
  return (list ?? []).map((a, i) => {
    if (typeof a.Name !== "string" || !NAME.test(a.Name)) {
      throw new ConfigError(`artifact name ${JSON.stringify(a.Name)} is not a CodePipeline artifact name`, {
        where: `${where}[${i}].Name`,
        fix: "use letters, digits and . @ _ - (at most 100 characters)",
      });
    }
    return a.Name;
  });
}

function readAction(
  template: Template,
  raw: RawAction,
  stage: string,
  where: string,
  stackName: string,
): PipelineAction {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const name = text(raw.Name);
  if (!NAME.test(name))
    throw new ConfigError("an action needs a Name", { where: `${where}.Name`, fix: "name the action" });
  const runOrder = raw.RunOrder === undefined ? 1 : Number(raw.RunOrder);
  if (!Number.isInteger(runOrder) || runOrder < 1 || runOrder > 999) {
    throw new ConfigError(`RunOrder ${JSON.stringify(raw.RunOrder)} is not a whole number from 1 to 999`, {
      where: `${where}.RunOrder`,
      fix: "give a RunOrder from 1 to 999 (actions with the same RunOrder run in parallel in CodePipeline)",
    });
  }
  const type = raw.ActionTypeId ?? {};
  const configuration = raw.Configuration ?? {};
  const provider = text(type.Provider);
  const isCodeBuild = text(type.Owner) === "AWS" && provider === "CodeBuild";
  return {
    stage,
    name,
    category: text(type.Category),
    owner: text(type.Owner),
    provider,
    runOrder,
    inputs: artifactNames(raw.InputArtifacts, `${where}.InputArtifacts`),
    outputs: artifactNames(raw.OutputArtifacts, `${where}.OutputArtifacts`),
    configuration,
    projectId: isCodeBuild ? projectOf(template, configuration.ProjectName, stackName) : undefined,
    where,
  };
}

/**
 * Every input must be an output of an action that finished before: an earlier stage, or a lower
 * runOrder in the same stage (CodePipeline checks this when the pipeline is created).
 */
function checkArtifactFlow(stages: PipelineStage[]): void {
  const produced = new Map<string, PipelineAction>();
  for (const stage of stages) {
    for (const group of runOrderGroups(stage)) {
      for (const action of group) {
        action.inputs.forEach((input, i) => {
          if (!produced.has(input)) {
            throw new ConfigError(`input artifact '${input}' is not the output of an earlier action`, {
              where: `${action.where}.InputArtifacts[${i}]`,
              fix: "name an output artifact of an earlier stage, or of a lower RunOrder in this stage",
            });
          }
        });
      }
      for (const action of group) {
        action.outputs.forEach((output, i) => {
          const other = produced.get(output);
          if (other) {
            throw new ConfigError(
              `output artifact '${output}' is also written by ${other.stage}/${other.name}`,
              {
                where: `${action.where}.OutputArtifacts[${i}]`,
                fix: "give every output artifact its own name",
              },
            );
          }
          produced.set(output, action);
        });
      }
    }
  }
}

/** The actions of a stage grouped by runOrder, lowest first (the order CodePipeline runs them in). */
export function runOrderGroups(stage: PipelineStage): PipelineAction[][] {
  const orders = [...new Set(stage.actions.map((a) => a.runOrder))].sort((a, b) => a - b);
  return orders.map((order) => stage.actions.filter((a) => a.runOrder === order));
}

/** Read the pipeline `logicalId` of stack `stack` (deployed as <project>-<stack>). */
export function readPipeline(
  template: Template,
  opts: { stack: string; logicalId: string; project: string; where: string },
): PipelineModel {
  const stackName = cloudFormationStackName(opts.project, opts.stack);
  const props = template.Resources[opts.logicalId]?.Properties ?? {};
  const base = `${opts.where}: Resources.${opts.logicalId}.Properties`;
  const rawStages = props.Stages as { Name?: unknown; Actions?: RawAction[] }[] | undefined;
  if (!Array.isArray(rawStages) || rawStages.length < 2) {
    throw new ConfigError("a pipeline needs at least two stages (a source stage first)", {
      where: `${base}.Stages`,
      fix: "add a Source stage and at least one more",
    });
  }
  const stages = rawStages.map((s, i): PipelineStage => {
    const name = typeof s.Name === "string" ? s.Name : "";
    const where = `${base}.Stages[${i}]`;
    if (!NAME.test(name))
      throw new ConfigError("a stage needs a Name", { where: `${where}.Name`, fix: "name the stage" });
    if (!Array.isArray(s.Actions) || s.Actions.length === 0)
      throw new ConfigError("a stage needs at least one action", {
        where: `${where}.Actions`,
        fix: "add one",
      });
    return {
      name,
      actions: s.Actions.map((a, j) => readAction(template, a, name, `${where}.Actions[${j}]`, stackName)),
    };
  });
  checkArtifactFlow(stages);
  return {
    stack: opts.stack,
    logicalId: opts.logicalId,
    name: physicalName(props.Name, stackName) ?? stackName,
    stages,
    where: `${opts.where}: Resources.${opts.logicalId}`,
  };
}

/**
 * The primary input of a CodeBuild action: Configuration.PrimarySource when it has several inputs
 * (CodePipeline requires it then), else its only input. The others are secondary sources.
 */
export function primaryAndSecondary(action: PipelineAction): { primary: string; secondary: string[] } {
  if (action.inputs.length === 0) {
    throw new ConfigError("a CodeBuild action needs an input artifact (its source)", {
      where: `${action.where}.InputArtifacts`,
      fix: "add the source artifact as input",
    });
  }
  const named = action.configuration.PrimarySource;
  if (action.inputs.length > 1 && typeof named !== "string") {
    throw new ConfigError("a CodeBuild action with several inputs must name its PrimarySource", {
      where: `${action.where}.Configuration.PrimarySource`,
      fix: `set PrimarySource to one of: ${action.inputs.join(", ")}`,
    });
  }
  const primary = typeof named === "string" ? named : action.inputs[0]!;
  if (!action.inputs.includes(primary)) {
    throw new ConfigError(`PrimarySource '${primary}' is not one of the action's inputs`, {
      where: `${action.where}.Configuration.PrimarySource`,
      fix: `use one of: ${action.inputs.join(", ")}`,
    });
  }
  return { primary, secondary: action.inputs.filter((i) => i !== primary) };
}

/**
 * The action's own environment variables (Configuration.EnvironmentVariables, a JSON string of
 * {name, value, type}). Only PLAINTEXT values are known before the run; the others are refused.
 */
export function actionVariables(action: PipelineAction): Record<string, string> {
  const raw = action.configuration.EnvironmentVariables;
  if (raw === undefined) return {};
  const where = `${action.where}.Configuration.EnvironmentVariables`;
  let list: { name?: unknown; value?: unknown; type?: unknown }[];
  try {
    list = JSON.parse(String(raw)) as typeof list;
    if (!Array.isArray(list)) throw new Error("not a list");
  } catch {
    throw new ConfigError("is not a JSON list of {name, value, type}", {
      where,
      fix: 'write it as [{"name":"X","value":"1","type":"PLAINTEXT"}]',
    });
  }
  const out: Record<string, string> = {};
  for (const v of list) {
    const type = v.type ?? "PLAINTEXT";
    if (type !== "PLAINTEXT" || String(v.value).includes("#{")) {
      throw new ConfigError(
        `variable ${String(v.name)}: ${String(type)} values and #{...} references are not resolved locally`,
        {
          where,
          fix: "use a PLAINTEXT value for a local run, or run the pipeline in AWS (--profile aws)",
        },
      );
    }
    out[String(v.name)] = String(v.value ?? "");
  }
  return out;
}
