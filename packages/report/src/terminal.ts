/** The report's short text summary for a terminal or a CI log: one line per project, image and layer, with sparklines. */
import { formatDuration } from "@prebake/core";
import type { ReportData } from "./data.ts";
import { mb, percent, usd } from "./format.ts";
import { sparkline } from "./stats.ts";

const money = (v: number | undefined) => usd(v, "no rate");
const opt = (v: number | undefined, f: (n: number) => string) => (v === undefined ? "–" : f(v));

export function summaryLines(data: ReportData): string[] {
  const lines: string[] = [];
  const t = data.targets;
  for (const p of data.projects) {
    const ok = p.successRate === undefined ? "" : p.successRate > t.successRate ? "" : " (below target)";
    const slow =
      p.p90Ms !== undefined && p.p90Ms >= t.buildDurationMs
        ? ` (p90 over ${t.buildDurationMs / 60_000} min)`
        : "";
    lines.push(
      `${p.project} [${p.kind === "codebuild-local" ? "local" : "CodeBuild"}]  ${p.builds.length} build(s)  ` +
        `${sparkline(p.builds.map((b) => b.durationMs))}  p50 ${opt(p.p50Ms, formatDuration)}  p90 ${opt(p.p90Ms, formatDuration)}${slow}  ` +
        `success ${percent(p.successRate)}${ok}  ${money(p.costPerBuildUsd)}/build  ` +
        `${money(p.monthlyUsdObserved)}/month (window), ${money(p.monthlyUsdPlanned)}/month (planned)`,
    );
  }
  const h = data.headline;
  if (h) {
    lines.push(
      `headline: install ${formatDuration(h.baseline.installMs)} -> ${formatDuration(h.baked.installMs)} (${h.installRatio.toFixed(4)}x), ` +
        `build ${formatDuration(h.baseline.totalMs)} -> ${formatDuration(h.baked.totalMs)} (${h.totalRatio.toFixed(4)}x)`,
    );
  }
  for (const i of data.images) {
    const budget =
      i.budgetBytes === undefined ? "" : ` (budget ${mb(i.budgetBytes)}${i.overBudget ? ", OVER" : ""})`;
    lines.push(
      `image ${i.image}  ${sparkline(i.points.map((p) => p.sizeBytes))}  ${mb(i.latestBytes)} compressed${budget}`,
    );
  }
  for (const l of data.layers) {
    const slowest = [...l.imports].sort((a, b) => b.ms - a.ms)[0];
    lines.push(
      `layer ${l.name}  ${sparkline(l.sizes.map((s) => s.unzippedBytes))}  ${mb(l.zippedBytes)} zipped, ` +
        `${mb(l.unzippedBytes)} unzipped (${mb(l.totalUnzippedBytes)} with other layers, of 250 MB)` +
        (slowest
          ? `; slowest import ${slowest.module} ${Math.round(slowest.ms)} ms (budget ${l.coldStartMs} ms)`
          : ""),
    );
  }
  if (lines.length === 0) lines.push("no runs in the window");
  return lines;
}
