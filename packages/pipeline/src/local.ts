/**
 * `prebake pipeline run` in the local profile: the pipeline a stack defines, run here. The source
 * action delivers the committed tree as a zip (what the S3 source would); each CodeBuild action
 * runs in the local runner with its project's image, buildspec, variables and privileged mode;
 * artifacts pass between actions as zips, as CodePipeline passes them. Actions that share a
 * runOrder run one after the other here (CodePipeline runs them in parallel); when one fails, the
 * others of its runOrder still run, and nothing after them does.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import {
  type Buildspec,
  DEFAULT_TIMEOUT_MINUTES,
  loadBuildspec,
  parseBuildspec,
  runLocalBuild,
  writeSourceArchive,
} from "@prebake/codebuild";
import {
  acquireLock,
  BuildFailedError,
  ConfigError,
  type Context,
  distPaths,
  folderLock,
  isPrebakeError,
  registerCleanup,
} from "@prebake/core";
import { unzipTo, zipFolder } from "./artifacts.ts";
import { type PipelineAction, runOrderGroups } from "./model.ts";
import { loadPipeline, type PipelinePlan, type PlannedAction, planPipeline } from "./plan.ts";
import { type ActionRow, type PipelineRunResult, printPipelineTable } from "./table.ts";

type CodeBuildAction = Extract<PlannedAction, { kind: "codebuild" }>;

/** What the actions of one run share: where artifacts are, the commit, the pipeline's name. */
interface RunState {
  ctx: Context;
  pipeline: string;
  /** dist/pipelines/<stack>: one <artifact>.zip per artifact. */
  artifactsDir: string;
  /** Inputs unzipped for the builds; removed at the end, also on a signal. */
  workDir: string;
  commit: string | undefined;
}

const zipOf = (state: RunState, artifact: string) => join(state.artifactsDir, `${artifact}.zip`);
const shownPath = (ctx: Context, path: string) => relative(ctx.config.rootDir, path) || path;
const shown = (state: RunState, path: string) => shownPath(state.ctx, path);

/** The buildspec the project names: a path in the primary source, or the buildspec text itself. */
function projectBuildspec(planned: CodeBuildAction, sourceDir: string): Buildspec {
  const { buildspec } = planned.settings;
  if (buildspec.includes("\n"))
    return parseBuildspec(buildspec, `${planned.settings.project}: Source.BuildSpec`);
  return loadBuildspec(resolve(sourceDir, buildspec), buildspec);
}

async function runSource(state: RunState, action: PipelineAction): Promise<string> {
  for (const output of action.outputs) {
    state.commit = await writeSourceArchive(state.ctx, zipOf(state, output));
  }
  return `commit ${state.commit?.slice(0, 12) ?? "-"} -> ${action.outputs.map((o) => `${o}.zip`).join(", ")}`;
}

/** Unzip the action's inputs: the primary one becomes the source, the others secondary sources. */
async function unzipInputs(state: RunState, planned: CodeBuildAction, dir: string) {
  const sourceDir = join(dir, "src");
  mkdirSync(sourceDir, { recursive: true });
  await unzipTo(zipOf(state, planned.primary), sourceDir, planned.primary);
  const secondarySources: Record<string, string> = {};
  for (const name of planned.secondary) {
    secondarySources[name] = join(dir, "in", name);
    mkdirSync(secondarySources[name], { recursive: true });
    await unzipTo(zipOf(state, name), secondarySources[name], name);
  }
  return { sourceDir, secondarySources };
}

async function runCodeBuild(state: RunState, planned: CodeBuildAction): Promise<string> {
  const { ctx } = state;
  const { action, settings } = planned;
  const dir = join(state.workDir, `${action.stage}-${action.name}`);
  const { sourceDir, secondarySources } = await unzipInputs(state, planned, dir);
  const spec = projectBuildspec(planned, sourceDir);
  const output = action.outputs[0];
  if (output && !spec.artifacts) {
    throw new ConfigError(
      `the action writes artifact '${output}', but ${spec.file} has no artifacts section`,
      {
        where: `${action.where}.OutputArtifacts`,
        fix: "add an artifacts section to the buildspec, or drop the output artifact",
      },
    );
  }
  const result = await runLocalBuild(ctx, {
    image: planned.image,
    imageSource: planned.imageSource,
    spec,
    sourceDir,
    secondarySources,
    artifactsDir: output ? join(dir, "out") : undefined,
    env: {
      ...settings.env,
      ...planned.variables,
      CODEBUILD_INITIATOR: `codepipeline/${state.pipeline}`,
      ...(state.commit ? { CODEBUILD_RESOLVED_SOURCE_VERSION: state.commit } : {}),
    },
    privileged: settings.privileged,
    project: settings.project,
    timeoutMinutes: settings.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
  });
  if (!output || !result.artifacts) return planned.image;
  const files = await zipFolder(result.artifacts, zipOf(state, output), output);
  return `${planned.image} -> ${output}.zip (${files} files)`;
}

/** Run one action; its row says how it went. The error is returned, not thrown: the runOrder group goes on. */
async function runAction(
  state: RunState,
  planned: PlannedAction,
): Promise<{ row: ActionRow; error?: unknown }> {
  const { action } = planned;
  const row: ActionRow = {
    stage: action.stage,
    action: action.name,
    provider: action.provider,
    status: "Skipped",
    durationMs: undefined,
    detail: planned.kind === "skipped" ? planned.reason : "",
  };
  if (planned.kind === "skipped") return { row };
  state.ctx.out.step(`${action.stage}/${action.name} (${action.provider})`);
  const started = Date.now();
  try {
    row.detail =
      planned.kind === "source" ? await runSource(state, action) : await runCodeBuild(state, planned);
    row.status = "Succeeded";
    return { row };
  } catch (error) {
    row.status = "Failed";
    row.detail = isPrebakeError(error) ? error.message : String(error);
    return { row, error };
  } finally {
    row.durationMs = Date.now() - started;
  }
}

const notRun = (action: PipelineAction): ActionRow => ({
  stage: action.stage,
  action: action.name,
  provider: action.provider,
  status: "NotRun",
  durationMs: undefined,
  detail: "",
});

/** Stages in order, runOrder groups in order; after a group with a failure, the rest is not run. */
async function runStages(
  state: RunState,
  plan: PipelinePlan,
): Promise<{ rows: ActionRow[]; failed?: { row: ActionRow; error: unknown } }> {
  const planned = new Map(plan.actions.map((p) => [p.action, p]));
  const rows: ActionRow[] = [];
  let failed: { row: ActionRow; error: unknown } | undefined;
  for (const stage of plan.model.stages) {
    for (const group of runOrderGroups(stage)) {
      // A failure stops the pipeline once its runOrder group is done (the others ran alongside it).
      const stopped = failed !== undefined;
      if (!stopped && group.length > 1) {
        state.ctx.out.info(
          `${group.map((a) => a.name).join(", ")} share RunOrder ${group[0]!.runOrder}: CodePipeline runs them in parallel, a local run one after the other`,
        );
      }
      for (const action of group) {
        if (stopped) {
          rows.push(notRun(action));
          continue;
        }
        const outcome = await runAction(state, planned.get(action)!);
        rows.push(outcome.row);
        if (outcome.error !== undefined) failed ??= { row: outcome.row, error: outcome.error };
      }
    }
  }
  return { rows, failed };
}

/** Run a stack's pipeline locally; exit 8 (or the failing action's own code) naming the action that failed. */
export async function runLocalPipeline(ctx: Context, ref: string): Promise<PipelineRunResult> {
  const started = Date.now();
  const model = loadPipeline(ctx, ref);
  const plan = await planPipeline(ctx, model);
  const artifactsDir = distPaths.pipelineArtifacts(ctx.config.rootDir, model.stack);
  // One run at a time per checkout and stack: a second one would delete this one's artifacts
  // (the folder is replaced at each run) while its actions still read them. It waits, then runs.
  const release = await acquireLock(folderLock(artifactsDir), `prebake pipeline run ${model.stack}`, {
    onWait: (holder) =>
      ctx.out.info(
        `waiting for the run that holds ${shownPath(ctx, artifactsDir)} (pid ${holder.pid}, since ${holder.since})`,
      ),
  });
  let outcome: Awaited<ReturnType<typeof runStages>>;
  const workDir = mkdtempSync(join(tmpdir(), "prebake-pipeline-"));
  const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true });
  const forget = registerCleanup(removeWorkDir);
  const state: RunState = { ctx, pipeline: model.name, artifactsDir, workDir, commit: undefined };
  try {
    rmSync(artifactsDir, { recursive: true, force: true }); // the last run's artifacts only
    mkdirSync(artifactsDir, { recursive: true });
    ctx.out.step(`pipeline ${model.name} (${model.where}), locally`);
    outcome = await runStages(state, plan);
  } finally {
    removeWorkDir();
    forget();
    await release();
  }
  const result: PipelineRunResult = {
    kind: "pipeline",
    pipeline: model.name,
    executionId: randomUUID(),
    status: outcome.failed ? "Failed" : "Succeeded",
    where: "local",
    actions: outcome.rows,
    artifactsDir: shown(state, artifactsDir),
    durationMs: Date.now() - started,
  };
  printPipelineTable(ctx, result.actions);
  ctx.out.result(result);
  if (outcome.failed) throw failureOf(model.where, outcome.failed);
  ctx.out.success(`pipeline ${model.name} succeeded; artifacts in ${result.artifactsDir}`);
  return result;
}

/** The error the run ends with: the failed action named first, with the exit code of what went wrong. */
function failureOf(where: string, failed: { row: ActionRow; error: unknown }): Error {
  const what = `action ${failed.row.stage}/${failed.row.action} failed`;
  const { error } = failed;
  if (!isPrebakeError(error)) return error as Error;
  if (error instanceof BuildFailedError)
    return new BuildFailedError(`${what}: ${error.where ? `${error.where}: ` : ""}${error.message}`, {
      where,
      fix: "see the action's build output above",
      cause: error,
    });
  // A problem with the action's input (buildspec, artifacts): its own code, with the action named.
  return Object.assign(error, { message: `${what}: ${error.message}` });
}
