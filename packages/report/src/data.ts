/**
 * The report's numbers, computed from history lines: pure, so `--json`, the terminal summary and
 * the HTML page show the same figures, and tests feed it lines directly.
 */
import type { HistoryLine, HistoryProblem, ReportTargets } from "@prebake/core";
import { buildCost, type Rate } from "./costs.ts";
import { median, quantile } from "./stats.ts";

const MB = 1024 * 1024;
const DAY = 86_400_000;

/** Lambda: a function and all its layers, unzipped, at most 250 MB (262,144,000 bytes). AWS's limit, not a goal. */
export const LAMBDA_UNZIPPED_BYTES = 262_144_000;

/** What the report measures against, in the units it computes in (the config says minutes and MB). */
export interface Targets {
  successRate: number;
  buildDurationMs: number;
  layerZippedBytes: number;
  lambdaUnzippedBytes: number;
  monthlyUsd: number;
}

/** The project's targets (prebake.config.yaml `report.targets`) in the report's units. */
export function reportTargets(t: ReportTargets): Targets {
  return {
    successRate: t.successRate,
    buildDurationMs: t.buildMinutes * 60_000,
    layerZippedBytes: t.layerZippedMB * MB,
    lambdaUnzippedBytes: LAMBDA_UNZIPPED_BYTES,
    monthlyUsd: t.monthlyUsd,
  };
}

export const PHASE_GROUPS = ["PROVISIONING", "INSTALL", "BUILD", "other"] as const;
export type PhaseGroup = (typeof PHASE_GROUPS)[number];
/** Waiting, not running: CodeBuild does not bill these, and they are not build time. */
const UNBILLED = new Set(["SUBMITTED", "QUEUED", "COMPLETED"]);

export interface BuildPoint {
  at: string;
  status: string;
  durationMs: number;
  phases: Record<PhaseGroup, number>;
  billedMs: number;
  costUsd: number | undefined;
  git: string | undefined;
}

export interface ProjectReport {
  kind: "codebuild-local" | "codebuild-remote";
  project: string;
  computeType: string;
  builds: BuildPoint[];
  succeeded: number;
  failed: number;
  successRate: number | undefined;
  p50Ms: number | undefined;
  p90Ms: number | undefined;
  costPerBuildUsd: number | undefined;
  /** At the frequency seen in the window, scaled to 30 days. */
  monthlyUsdObserved: number | undefined;
  /** At the configured builds per month (`report.buildsPerMonth`). */
  monthlyUsdPlanned: number | undefined;
}

export interface HeadlineVariant {
  runs: number;
  installMs: number;
  totalMs: number;
}

export interface HeadlineReport {
  baseline: HeadlineVariant;
  baked: HeadlineVariant;
  installRatio: number;
  totalRatio: number;
  lastAt: string;
}

export interface ImageLineReport {
  image: string;
  points: { at: string; sizeBytes: number; digest: string | undefined }[];
  budgetBytes: number | undefined;
  latestBytes: number;
  overBudget: boolean;
}

export interface LayerReport {
  name: string;
  at: string;
  zippedBytes: number;
  unzippedBytes: number;
  /** What the functions using it also carry (layer.yaml budget.otherLayers and functionCodeMB). */
  others: { name: string; bytes: number }[];
  totalUnzippedBytes: number;
  imports: { python: string; module: string; ms: number }[];
  coldStartMs: number;
  overColdStart: string[];
  sizes: { at: string; zippedBytes: number; unzippedBytes: number }[];
}

export interface Budgets {
  /** Per image name: image.yaml budget.compressedMB in bytes. */
  images: Record<string, number>;
  /** Per layer: layer.yaml budget. */
  layers: Record<string, { others: { name: string; bytes: number }[]; coldStartMs: number }>;
}

export interface ReportSettings {
  since: number;
  now: number;
  rates: Record<string, Rate>;
  defaultComputeType: string;
  buildsPerMonth: number;
  targets: Targets;
}

export interface ReportData {
  generatedAt: string;
  since: string;
  windowDays: number;
  targets: Targets;
  projects: ProjectReport[];
  headline: HeadlineReport | undefined;
  images: ImageLineReport[];
  layers: LayerReport[];
  /** The rates the costs used, with their sources. */
  rates: { computeType: string; usdPerMinute: number; source: string }[];
  /** Compute types seen without a rate (their builds have no cost). */
  unpricedComputeTypes: string[];
  problems: HistoryProblem[];
  lineCounts: Record<string, number>;
}

function phaseGroups(line: HistoryLine): Record<PhaseGroup, number> {
  const groups: Record<PhaseGroup, number> = { PROVISIONING: 0, INSTALL: 0, BUILD: 0, other: 0 };
  for (const p of line.phases ?? []) {
    if (UNBILLED.has(p.name)) continue;
    const group = (PHASE_GROUPS as readonly string[]).includes(p.name) ? (p.name as PhaseGroup) : "other";
    groups[group] += p.durationMs;
  }
  return groups;
}

/** Billed time: a remote build's running phases; a local run's whole container run. */
function billedMs(line: HistoryLine): number {
  if (line.kind !== "codebuild-remote" || !line.phases?.length) return line.durationMs;
  return line.phases.filter((p) => !UNBILLED.has(p.name)).reduce((n, p) => n + p.durationMs, 0);
}

function projectReport(lines: HistoryLine[], settings: ReportSettings, windowDays: number): ProjectReport {
  const first = lines[0]!;
  const computeType = lines.findLast((l) => l.computeType)?.computeType ?? settings.defaultComputeType;
  const builds: BuildPoint[] = lines.map((l) => {
    const billed = billedMs(l);
    return {
      at: l.at,
      status: l.status,
      durationMs: l.durationMs,
      phases: phaseGroups(l),
      billedMs: billed,
      costUsd: buildCost(billed, l.computeType ?? computeType, settings.rates),
      git: l.git,
    };
  });
  const finished = builds.filter((b) => b.status === "SUCCEEDED" || b.status === "FAILED");
  const succeeded = finished.filter((b) => b.status === "SUCCEEDED").length;
  const durations = builds.filter((b) => b.status === "SUCCEEDED").map((b) => b.durationMs);
  const costs = builds.flatMap((b) => (b.costUsd === undefined ? [] : [b.costUsd]));
  const costPerBuild = median(costs);
  const meanCost = costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : undefined;
  return {
    kind: first.kind as ProjectReport["kind"],
    project: first.name,
    computeType,
    builds,
    succeeded,
    failed: finished.length - succeeded,
    successRate: finished.length ? succeeded / finished.length : undefined,
    p50Ms: quantile(durations, 0.5),
    p90Ms: quantile(durations, 0.9),
    costPerBuildUsd: costPerBuild,
    monthlyUsdObserved:
      meanCost === undefined ? undefined : (costs.length / Math.max(windowDays, 1)) * 30 * meanCost,
    monthlyUsdPlanned: costPerBuild === undefined ? undefined : costPerBuild * settings.buildsPerMonth,
  };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

/** The headline benchmark's records (all of them: a benchmark is run rarely), baseline against baked. */
function headlineReport(lines: HistoryLine[]): HeadlineReport | undefined {
  const bench = lines.filter((l) => l.benchmark?.name === "headline" && l.status === "SUCCEEDED");
  const variant = (name: string): HeadlineVariant | undefined => {
    const runs = bench.filter((l) => l.benchmark?.variant === name);
    if (runs.length === 0) return undefined;
    const install = runs.map((l) => l.phases?.find((p) => p.name === "INSTALL")?.durationMs ?? 0);
    return {
      runs: runs.length,
      installMs: median(install)!,
      totalMs: median(runs.map((l) => l.durationMs))!,
    };
  };
  const baseline = variant("baseline");
  const baked = variant("baked");
  if (!baseline || !baked) return undefined;
  return {
    baseline,
    baked,
    installRatio: baked.installMs / baseline.installMs,
    totalRatio: baked.totalMs / baseline.totalMs,
    lastAt: bench.at(-1)!.at,
  };
}

function imageReports(lines: HistoryLine[], budgets: Budgets): ImageLineReport[] {
  const pushed = lines.filter((l) => l.kind === "image" && l.image?.sizeBytes !== undefined);
  return [...groupBy(pushed, (l) => l.name)].map(([image, ls]) => {
    const budgetBytes = budgets.images[image.split(":")[0]!];
    const points = ls.map((l) => ({ at: l.at, sizeBytes: l.image!.sizeBytes!, digest: l.image?.digest }));
    const latestBytes = points.at(-1)!.sizeBytes;
    return {
      image,
      points,
      budgetBytes,
      latestBytes,
      overBudget: budgetBytes !== undefined && latestBytes > budgetBytes,
    };
  });
}

function layerReports(lines: HistoryLine[], budgets: Budgets): LayerReport[] {
  const built = lines.filter((l) => l.kind === "layer" && l.layer);
  return [...groupBy(built, (l) => l.name)].map(([name, ls]) => {
    const last = ls.at(-1)!;
    const budget = budgets.layers[name] ?? { others: [], coldStartMs: 200 };
    // The newest run that import-tested the layer (a run with --skip-smoke-test has no timings).
    const imports = ls.findLast((l) => l.layer!.imports.length > 0)?.layer?.imports ?? [];
    const othersBytes = budget.others.reduce((n, o) => n + o.bytes, 0);
    return {
      name,
      at: last.at,
      zippedBytes: last.layer!.zippedBytes,
      unzippedBytes: last.layer!.unzippedBytes,
      others: budget.others,
      totalUnzippedBytes: last.layer!.unzippedBytes + othersBytes,
      imports,
      coldStartMs: budget.coldStartMs,
      overColdStart: imports.filter((i) => i.ms > budget.coldStartMs).map((i) => i.module),
      sizes: ls.map((l) => ({
        at: l.at,
        zippedBytes: l.layer!.zippedBytes,
        unzippedBytes: l.layer!.unzippedBytes,
      })),
    };
  });
}

/** Everything the report shows, from the history lines of the window (and all headline runs). */
export function buildReport(
  all: HistoryLine[],
  problems: HistoryProblem[],
  budgets: Budgets,
  settings: ReportSettings,
): ReportData {
  const lines = all.filter((l) => Date.parse(l.at) >= settings.since && Date.parse(l.at) <= settings.now);
  const windowDays = (settings.now - settings.since) / DAY;
  const builds = lines.filter(
    (l) => (l.kind === "codebuild-local" || l.kind === "codebuild-remote") && !l.benchmark,
  );
  const projects = [...groupBy(builds, (l) => `${l.kind}\u0000${l.name}`).values()].map((ls) =>
    projectReport(ls, settings, windowDays),
  );
  const seenTypes = new Set(projects.map((p) => p.computeType));
  for (const l of builds) if (l.computeType) seenTypes.add(l.computeType);
  const lineCounts: Record<string, number> = {};
  for (const l of lines) lineCounts[l.kind] = (lineCounts[l.kind] ?? 0) + 1;
  return {
    generatedAt: new Date(settings.now).toISOString(),
    since: new Date(settings.since).toISOString(),
    windowDays: Math.round(windowDays * 10) / 10,
    targets: settings.targets,
    projects,
    headline: headlineReport(all),
    images: imageReports(lines, budgets),
    layers: layerReports(lines, budgets),
    rates: [...seenTypes]
      .filter((t) => settings.rates[t])
      .map((t) => ({ computeType: t, ...settings.rates[t]! })),
    unpricedComputeTypes: [...seenTypes].filter((t) => !settings.rates[t]),
    problems,
    lineCounts,
  };
}
