/**
 * From a run's result (run-result.ts) to history lines: one per run, or one per item (each layer
 * zip, each deploy of a promotion). A result without a run kind (render, lint, validate) writes
 * nothing. Every field read here is declared by the result's variant.
 */
import { HISTORY_SCHEMA, type HistoryLine, type HistoryPhase } from "./history.ts";
import {
  type CodeBuildLocalRun,
  type CodeBuildRemoteRun,
  type DeployRun,
  type ImageRun,
  type LayerRun,
  type PipelineRun,
  type RunResult,
  runResultsOf,
} from "./run-result.ts";

/** What every line carries besides the result itself. */
export interface RunContext {
  /** Now, for results that do not say when they ended. */
  at: string;
  git: string | undefined;
  environment: string;
  profile: string;
}

/** A line's own fields; the run context fills the rest. */
type LinePart = Omit<HistoryLine, "schema" | "at" | "git" | "environment" | "profile"> &
  Partial<Pick<HistoryLine, "at" | "environment" | "profile">>;

/** Phases with a known duration (a remote phase still in progress has none). */
const timedPhases = (phases: { name: string; status: string; durationMs?: number | undefined }[]) =>
  phases.flatMap((p): HistoryPhase[] =>
    p.durationMs === undefined ? [] : [{ name: p.name, status: p.status, durationMs: p.durationMs }],
  );

const outcome = (skipped: boolean) => (skipped ? "SKIPPED" : "SUCCEEDED");

const localBuildLine = (r: CodeBuildLocalRun): LinePart => ({
  kind: r.kind,
  name: r.project,
  status: r.status,
  durationMs: r.durationMs,
  phases: r.phases && timedPhases(r.phases),
  computeType: r.computeType,
  image: r.image ? { uri: r.image } : undefined,
  benchmark: r.benchmark,
});

const remoteBuildLine = (r: CodeBuildRemoteRun): LinePart => ({
  kind: r.kind,
  name: r.projectName,
  status: r.status,
  durationMs: r.durationMs,
  phases: timedPhases(r.phases),
  computeType: r.computeType,
  buildId: r.buildId,
  ...(r.endedAt ? { at: r.endedAt } : {}),
});

const imageLine = (r: ImageRun): LinePart => ({
  kind: r.kind,
  name: `${r.name}:${r.version}`,
  action: r.action,
  status: outcome(r.action === "skipped"),
  durationMs: r.durationMs,
  image: { uri: r.uri, digest: r.digest, sizeBytes: r.sizeBytes },
});

const layerLines = (r: LayerRun): LinePart[] =>
  r.layers.map((l) => ({
    kind: r.kind,
    name: l.name,
    action: l.action,
    status: outcome(l.action === "unchanged" || l.action === "up to date"),
    durationMs: l.durationMs,
    layer: {
      zippedBytes: l.zippedBytes,
      unzippedBytes: l.unzippedBytes,
      imports: l.imports,
      layerVersionArn: l.layerVersionArn,
    },
  }));

/** `environment`: set for a promotion's deploys, which go to another environment than the command's. */
const deployLine = (r: DeployRun, environment?: string): LinePart => ({
  kind: r.kind,
  name: r.stack,
  action: r.action,
  status: outcome(r.action === "skipped"),
  durationMs: r.durationMs,
  ...(environment ? { environment } : {}),
  ...(environment && r.profile ? { profile: r.profile } : {}),
});

/** A pipeline run: its actions as phases named `<stage>/<action>`. */
const pipelineLine = (r: PipelineRun): LinePart => ({
  kind: r.kind,
  name: r.pipeline,
  status: r.status.toUpperCase(),
  durationMs: r.durationMs,
  phases: timedPhases(r.actions.map((a) => ({ ...a, name: `${a.stage}/${a.action}` }))),
});

function partsOf(r: RunResult): LinePart[] {
  switch (r.kind) {
    case "codebuild-local":
      return [localBuildLine(r)];
    case "codebuild-remote":
      // A build started with --no-wait has not run yet: `prebake history sync` records it once it has.
      return r.status === "IN_PROGRESS" ? [] : [remoteBuildLine(r)];
    case "image":
      return [imageLine(r)];
    case "layer":
      return layerLines(r);
    case "deploy":
      return [deployLine(r)];
    case "promote":
      return r.deployed.map((d) => deployLine(d, d.environment ?? r.to));
    case "pipeline":
      return [pipelineLine(r)];
  }
}

/** The history lines of one typed run. */
export function historyLinesOfRun(result: RunResult, run: RunContext): HistoryLine[] {
  return partsOf(result).map((part) => {
    const line = {
      schema: HISTORY_SCHEMA,
      at: run.at,
      git: run.git,
      environment: run.environment,
      profile: run.profile,
      ...part,
    } as HistoryLine;
    // Drop undefined fields so a line carries only what is known.
    return JSON.parse(JSON.stringify(line)) as HistoryLine;
  });
}

/** The history lines a recorded result stands for (run-result.ts's runResultsOf reads it). */
export function historyLinesOf(result: unknown, run: RunContext): HistoryLine[] {
  return runResultsOf(result).flatMap((r) => historyLinesOfRun(r, run));
}
