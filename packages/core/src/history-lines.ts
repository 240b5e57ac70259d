/**
 * From a command's result (what `Output.result` records) to history lines. Results say what
 * they are with a `kind` (HistoryKind); a result without one (render, lint, validate) is not a
 * run and writes nothing. The shapes read here are the packages' result types, by field name.
 */
import {
  HISTORY_KINDS,
  HISTORY_SCHEMA,
  type HistoryKind,
  type HistoryLine,
  type HistoryPhase,
} from "./history.ts";

/** What every line carries besides the result itself. */
export interface RunContext {
  /** Now, for results that do not say when they ended. */
  at: string;
  git: string | undefined;
  environment: string;
  profile: string;
}

type Fields = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const isKind = (v: unknown): v is HistoryKind => HISTORY_KINDS.includes(v as HistoryKind);

/** Phases with a known duration (a remote phase still in progress has none). */
function phasesOf(v: unknown): HistoryPhase[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return (v as Fields[]).flatMap((p) => {
    const name = str(p.name);
    const durationMs = num(p.durationMs);
    return name && durationMs !== undefined ? [{ name, status: str(p.status) ?? "UNKNOWN", durationMs }] : [];
  });
}

const outcome = (skipped: boolean) => (skipped ? "SKIPPED" : "SUCCEEDED");

function codebuildLine(kind: HistoryKind, r: Fields): Partial<HistoryLine> {
  const benchmark = r.benchmark as { name?: unknown; variant?: unknown } | undefined;
  return {
    name: str(r.project) ?? str(r.projectName) ?? "local",
    status: str(r.status) ?? "UNKNOWN",
    durationMs: num(r.durationMs) ?? 0,
    phases: phasesOf(r.phases),
    computeType: str(r.computeType),
    buildId: str(r.buildId),
    ...(kind === "codebuild-local" && str(r.image) ? { image: { uri: str(r.image) } } : {}),
    ...(str(r.endedAt) ? { at: str(r.endedAt) } : {}),
    ...(benchmark && str(benchmark.name) && str(benchmark.variant)
      ? { benchmark: { name: str(benchmark.name)!, variant: str(benchmark.variant)! } }
      : {}),
  };
}

function imageLine(r: Fields): Partial<HistoryLine> {
  const action = str(r.action);
  return {
    name: [str(r.name), str(r.version)].filter(Boolean).join(":") || "?",
    action,
    status: outcome(action === "skipped"),
    durationMs: num(r.durationMs) ?? 0,
    image: { uri: str(r.uri), digest: str(r.digest), sizeBytes: num(r.sizeBytes) },
  };
}

function layerLines(r: Fields): Partial<HistoryLine>[] {
  const layers = Array.isArray(r.layers) ? (r.layers as Fields[]) : [];
  return layers.map((l) => {
    const published = l.published;
    const action =
      published === true
        ? "published"
        : published === false
          ? "unchanged"
          : l.upToDate
            ? "up to date"
            : "built";
    const imports = Array.isArray(l.imports) ? (l.imports as Fields[]) : [];
    return {
      name: str(l.name) ?? "?",
      action,
      status: outcome(action === "unchanged" || action === "up to date"),
      durationMs: num(l.buildMs) ?? num(l.durationMs) ?? 0,
      layer: {
        zippedBytes: num(l.zippedBytes) ?? 0,
        unzippedBytes: num(l.unzippedBytes) ?? 0,
        imports: imports.map((i) => ({
          python: str(i.python) ?? "?",
          module: str(i.module) ?? "?",
          ms: num(i.ms) ?? 0,
        })),
        layerVersionArn: str(l.layerVersionArn),
      },
    };
  });
}

function deployLine(r: Fields): Partial<HistoryLine> {
  const action = str(r.action);
  return {
    name: str(r.stack) ?? "?",
    action,
    status: outcome(action === "skipped"),
    durationMs: num(r.durationMs) ?? 0,
  };
}

/** A pipeline run's actions as phases named `<stage>/<action>`. */
function actionPhases(v: unknown): Fields[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return (v as Fields[]).map((a) => ({ ...a, name: `${str(a.stage) ?? "?"}/${str(a.action) ?? "?"}` }));
}

/** A pipeline run (and any future kind): its name, status, duration and stages, actions or phases. */
function genericLine(r: Fields): Partial<HistoryLine> {
  return {
    name: str(r.name) ?? str(r.pipeline) ?? str(r.stack) ?? "?",
    status: str(r.status)?.toUpperCase() ?? "UNKNOWN",
    durationMs: num(r.durationMs) ?? 0,
    phases: phasesOf(r.phases ?? r.stages ?? actionPhases(r.actions)),
  };
}

function partsOf(kind: HistoryKind, r: Fields): Partial<HistoryLine>[] {
  switch (kind) {
    case "codebuild-local":
    case "codebuild-remote":
      return [codebuildLine(kind, r)];
    case "image":
      return [imageLine(r)];
    case "layer":
      return layerLines(r);
    case "deploy":
      return [deployLine(r)];
    default:
      return [genericLine(r)];
  }
}

/** The history lines a result stands for: none, one, or one per item (layers, --all-versions, several stacks). */
export function historyLinesOf(result: unknown, run: RunContext): HistoryLine[] {
  if (Array.isArray(result)) return result.flatMap((r) => historyLinesOf(r, run));
  if (!result || typeof result !== "object") return [];
  const r = result as Fields;
  if (!isKind(r.kind)) return [];
  // A build started with --no-wait has not run yet: `prebake history sync` records it once it has.
  if (r.kind === "codebuild-remote" && r.status === "IN_PROGRESS") return [];
  const kind = r.kind;
  return partsOf(kind, r).map((part) => {
    const line = {
      schema: HISTORY_SCHEMA,
      kind,
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
