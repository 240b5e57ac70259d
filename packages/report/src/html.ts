/**
 * The report page: one self-contained HTML file. No script, no stylesheet or font from anywhere
 * else: the charts are inline SVG (charts.ts) and the style is in the page, so it opens offline
 * and can be attached to a ticket or a CI run as one file.
 */
import { formatDuration } from "@prebake/core";
import type { Chart } from "./charts.ts";
import type { ReportData } from "./data.ts";
import { mb, percent, usd } from "./format.ts";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const ms = (v: number | undefined) => (v === undefined ? "–" : formatDuration(v));

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "";
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const figure = (c: Chart) =>
  `<figure class="chart" id="${escapeHtml(c.id)}">\n<h3>${escapeHtml(c.title)}</h3>\n${c.svg}\n<figcaption>${escapeHtml(c.caption)}</figcaption>\n</figure>`;

/** The project's targets (`report.targets`), each with this window's value and whether it holds. */
function targetsTable(data: ReportData): string {
  const t = data.targets;
  const verdict = (ok: boolean | undefined) => (ok === undefined ? "–" : ok ? "yes" : "NO");
  const rows: string[][] = [];
  for (const p of data.projects) {
    rows.push([
      `${p.project}: success rate`,
      `> ${t.successRate * 100} %`,
      percent(p.successRate),
      verdict(p.successRate === undefined ? undefined : p.successRate > t.successRate),
    ]);
    rows.push([
      `${p.project}: build duration p90`,
      `< ${t.buildDurationMs / 60_000} min`,
      ms(p.p90Ms),
      verdict(p.p90Ms === undefined ? undefined : p.p90Ms < t.buildDurationMs),
    ]);
    rows.push([
      `${p.project}: cost a month (window)`,
      `< $${t.monthlyUsd}`,
      usd(p.monthlyUsdObserved),
      verdict(p.monthlyUsdObserved === undefined ? undefined : p.monthlyUsdObserved < t.monthlyUsd),
    ]);
  }
  for (const l of data.layers) {
    rows.push([
      `${l.name}: layer size (zipped)`,
      `< ${mb(t.layerZippedBytes)}`,
      mb(l.zippedBytes),
      verdict(l.zippedBytes < t.layerZippedBytes),
    ]);
    const slowest = Math.max(0, ...l.imports.map((i) => i.ms));
    rows.push([
      `${l.name}: cold import (slowest module)`,
      `< ${l.coldStartMs} ms`,
      l.imports.length ? `${Math.round(slowest)} ms` : "–",
      verdict(l.imports.length ? slowest <= l.coldStartMs : undefined),
    ]);
  }
  return table(["target (report.targets)", "goal", "this window", "met"], rows);
}

function projectsTable(data: ReportData): string {
  return table(
    [
      "project",
      "kind",
      "builds",
      "success",
      "p50",
      "p90",
      "compute",
      "per build",
      "per month (window)",
      "per month (planned)",
    ],
    data.projects.map((p) => [
      p.project,
      p.kind,
      String(p.builds.length),
      percent(p.successRate),
      ms(p.p50Ms),
      ms(p.p90Ms),
      p.computeType,
      usd(p.costPerBuildUsd),
      usd(p.monthlyUsdObserved),
      usd(p.monthlyUsdPlanned),
    ]),
  );
}

function sizesTables(data: ReportData): string {
  const images = table(
    ["image:version", "pushes", "latest (compressed)", "budget", "within"],
    data.images.map((i) => [
      i.image,
      String(i.points.length),
      mb(i.latestBytes),
      i.budgetBytes === undefined ? "–" : mb(i.budgetBytes),
      i.budgetBytes === undefined ? "–" : i.overBudget ? "no" : "yes",
    ]),
  );
  const layers = table(
    ["layer", "zipped", "unzipped", "with other layers", "slowest import", "cold-start budget"],
    data.layers.map((l) => {
      const slowest = [...l.imports].sort((a, b) => b.ms - a.ms)[0];
      return [
        l.name,
        mb(l.zippedBytes),
        mb(l.unzippedBytes),
        `${mb(l.totalUnzippedBytes)} of 250 MB`,
        slowest ? `${slowest.module} ${Math.round(slowest.ms)} ms` : "–",
        `${l.coldStartMs} ms${l.overColdStart.length ? ` (over: ${l.overColdStart.join(", ")})` : ""}`,
      ];
    }),
  );
  return images + layers;
}

function notes(data: ReportData): string {
  const rates = table(
    ["compute type", "USD / minute", "source"],
    data.rates.map((r) => [r.computeType, String(r.usdPerMinute), r.source]),
  );
  const unpriced = data.unpricedComputeTypes.length
    ? `<p class="warn">No rate for ${escapeHtml(data.unpricedComputeTypes.join(", "))}: add it under report.ratesPerMinute in prebake.config.yaml.</p>`
    : "";
  const problems = data.problems.length
    ? `<p class="warn">${data.problems.length} history line(s) skipped:</p>${table(
        ["file", "line", "why"],
        data.problems.map((p) => [p.file, String(p.line), p.reason]),
      )}`
    : "";
  return rates + unpriced + problems;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #dde; }
h3 { font-size: 1rem; margin: 0.4rem 0; }
.meta { color: #667; } .warn { color: #a04000; } .empty { color: #667; font-style: italic; }
figure.chart { margin: 1.2rem 0; padding: 0.6rem; border: 1px solid #e3e6ee; border-radius: 6px; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #556; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eef; }
`;

/** The whole page. */
export function renderHtml(data: ReportData, charts: Chart[]): string {
  const section = (title: string, ids: (id: string) => boolean, extra = "", empty = "") => {
    const figs = charts
      .filter((c) => ids(c.id))
      .map(figure)
      .join("\n");
    const body = figs || extra ? figs + extra : `<p class="empty">${escapeHtml(empty)}</p>`;
    return `<h2>${escapeHtml(title)}</h2>\n${body}`;
  };
  const counts = Object.entries(data.lineCounts)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prebake build report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>prebake build report</h1>
<p class="meta">Window: ${escapeHtml(data.since.slice(0, 16).replace("T", " "))} to ${escapeHtml(data.generatedAt.slice(0, 16).replace("T", " "))} UTC (${data.windowDays} days). History lines: ${escapeHtml(counts || "none")}.</p>
${data.projects.length || data.layers.length ? `<h2>Targets</h2>\n${targetsTable(data)}` : ""}
${section("Builds", (id) => id.startsWith("phases-"), "", "No CodeBuild runs in the window: run `prebake codebuild run --project ci/HelloErlangAppProject` (or `nx run hello-erlang:codebuild`), or `prebake history sync` in the aws profile.")}
${section("Before and after baking", (id) => id === "headline", "", "No headline benchmark records: run packages/codebuild/bench/headline.bench.ts.")}
${section("Success rate and duration against the targets", (id) => id === "success-rate" || id === "build-durations", projectsTable(data), "No finished builds in the window.")}
${section("Image and layer sizes", (id) => ["image-sizes", "layer-sizes", "import-times"].includes(id), sizesTables(data), "No image pushes or layer builds in the window.")}
${section("Cost", (id) => id === "costs", notes(data), "No priced builds in the window.")}
</body>
</html>
`;
}
