/**
 * The report's charts, rendered on the server by ECharts' SSR SVG renderer: no browser, no DOM,
 * and the page carries the SVG inline (works offline). Every reference line (budget, target) is
 * a markLine without symbols, so a chart's filled shapes are its data marks only.
 */
import * as echarts from "echarts";
import type { HeadlineReport, ImageLineReport, LayerReport, ProjectReport, ReportData } from "./data.ts";
import { PHASE_GROUPS } from "./data.ts";

export interface Chart {
  id: string;
  title: string;
  /** One sentence: what the chart shows and what to look for. */
  caption: string;
  svg: string;
}

const MiB = 1024 * 1024;
const FONT = { fontFamily: "system-ui, sans-serif", fontSize: 12 };
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const shortTime = (iso: string) => iso.slice(5, 16).replace("T", " ");

function render(option: echarts.EChartsCoreOption, width = 760, height = 320): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: FONT, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** A dashed reference line (a budget or a target) with its label; no end symbols (see above). */
function referenceLine(axis: "xAxis" | "yAxis", value: number, label: string, color = "#c0392b") {
  return {
    symbol: "none",
    silent: true,
    lineStyle: { color, type: "dashed", width: 1.5 },
    label: { formatter: label, position: "insideEndTop", color },
    data: [{ [axis]: value }],
  };
}

export function phaseChart(p: ProjectReport): Chart {
  const labels = p.builds.map((b) => `${shortTime(b.at)}${b.status === "SUCCEEDED" ? "" : " ✗"}`);
  return {
    id: `phases-${p.kind}-${p.project}`,
    title: `Phase durations per build: ${p.project} (${p.kind === "codebuild-local" ? "local runs" : "CodeBuild"})`,
    caption:
      "Each bar is one build, stacked by phase (seconds). A tall INSTALL bar is a compile back in the install phase; " +
      "a tall PROVISIONING bar is an image that grew. ✗ marks a failed build.",
    svg: render({
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 70 },
      tooltip: {},
      xAxis: { type: "category", data: labels, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", name: "seconds" },
      series: PHASE_GROUPS.map((g) => ({
        name: g,
        type: "bar",
        stack: "phases",
        data: p.builds.map((b) => round(b.phases[g] / 1000)),
      })),
    }),
  };
}

export function headlineChart(h: HeadlineReport): Chart {
  const s = (ms: number) => round(ms / 1000, 3);
  return {
    id: "headline",
    title: "Before and after baking: the headline benchmark",
    caption:
      `The hello-erlang build with Erlang/OTP compiled in the install phase (baseline, ${h.baseline.runs} run(s)) ` +
      `against the baked image (${h.baked.runs} run(s)); medians, seconds on a log scale. ` +
      `Install: ${round(h.installRatio, 4)}x, whole build: ${round(h.totalRatio, 4)}x of the baseline.`,
    svg: render(
      {
        legend: { top: 0 },
        grid: { left: 110, right: 40, top: 40, bottom: 40 },
        xAxis: { type: "log", name: "seconds (log)", nameLocation: "middle", nameGap: 25 },
        yAxis: { type: "category", data: ["INSTALL phase", "whole build"] },
        series: [
          {
            name: "compile in install (baseline)",
            type: "bar",
            data: [s(h.baseline.installMs), s(h.baseline.totalMs)],
            label: { show: true, position: "right" },
          },
          {
            name: "baked image",
            type: "bar",
            data: [s(h.baked.installMs), s(h.baked.totalMs)],
            label: { show: true, position: "right" },
          },
        ],
      },
      760,
      260,
    ),
  };
}

export function imageSizeChart(images: ImageLineReport[]): Chart {
  return {
    id: "image-sizes",
    title: "Image sizes per version line",
    caption:
      "Compressed size of each push (what CodeBuild's PROVISIONING pulls at every build of a custom image), " +
      "MB, against image.yaml's budget.compressedMB.",
    svg: render({
      legend: { top: 0 },
      grid: { left: 60, right: 40, top: 40, bottom: 40 },
      xAxis: { type: "time" },
      yAxis: {
        type: "value",
        name: "MB compressed",
        // Room for the budget line even when every image is far below it.
        max: (v: { max: number }) =>
          Math.ceil(Math.max(v.max, ...images.map((i) => (i.budgetBytes ?? 0) / MiB)) * 1.1),
      },
      series: images.map((img) => ({
        name: img.image,
        type: "line",
        showSymbol: true,
        symbolSize: 8,
        data: img.points.map((p) => [p.at, round(p.sizeBytes / MiB, 1)]),
        ...(img.budgetBytes === undefined
          ? {}
          : {
              markLine: referenceLine(
                "yAxis",
                round(img.budgetBytes / MiB, 1),
                `budget ${img.image.split(":")[0]}`,
              ),
            }),
      })),
    }),
  };
}

export function layerSizeChart(layers: LayerReport[], limitBytes: number): Chart {
  const others = [...new Set(layers.flatMap((l) => l.others.map((o) => o.name)))];
  return {
    id: "layer-sizes",
    title: "Layer sizes against Lambda's 250 MB",
    caption:
      "Unzipped MB of each layer, stacked with what its functions also carry (layer.yaml budget.otherLayers and " +
      "functionCodeMB): Lambda allows 250 MB for a function and all its layers.",
    svg: render(
      {
        legend: { top: 0 },
        grid: { left: 110, right: 50, top: 40, bottom: 40 },
        xAxis: {
          type: "value",
          name: "MB unzipped",
          nameLocation: "middle",
          nameGap: 25,
          max: Math.ceil((limitBytes / MiB) * 1.05),
        },
        yAxis: { type: "category", data: layers.map((l) => l.name) },
        series: [
          {
            name: "this layer",
            type: "bar",
            stack: "size",
            data: layers.map((l) => round(l.unzippedBytes / MiB, 1)),
            markLine: referenceLine("xAxis", round(limitBytes / MiB), "250 MB"),
          },
          ...others.map((name) => ({
            name,
            type: "bar",
            stack: "size",
            data: layers.map((l) => round((l.others.find((o) => o.name === name)?.bytes ?? 0) / MiB, 1)),
          })),
        ],
      },
      760,
      Math.max(180, 80 + layers.length * 50),
    ),
  };
}

export function importTimeChart(layers: LayerReport[]): Chart {
  const rows = layers.flatMap((l) =>
    l.imports.map((i) => ({
      label: `${i.module} (${l.name}, py${i.python})`,
      ms: i.ms,
      budget: l.coldStartMs,
    })),
  );
  const budget = Math.min(...layers.map((l) => l.coldStartMs));
  return {
    id: "import-times",
    title: "Cold import times against the cold-start budget",
    caption:
      "Each top-level module's import in a fresh interpreter (the layer's share of a cold start), ms, against " +
      `layer.yaml's budget.coldStartMs (${budget} ms).`,
    svg: render(
      {
        grid: { left: 250, right: 60, top: 20, bottom: 40 },
        xAxis: {
          type: "value",
          name: "ms",
          nameLocation: "middle",
          nameGap: 25,
          max: (v: { max: number }) => Math.ceil(Math.max(v.max, budget) * 1.1),
        },
        yAxis: { type: "category", data: rows.map((r) => r.label) },
        series: [
          {
            name: "cold import",
            type: "bar",
            data: rows.map((r) => ({
              value: round(r.ms, 1),
              itemStyle: r.ms > r.budget ? { color: "#c0392b" } : {},
            })),
            label: { show: true, position: "right" },
            markLine: referenceLine("xAxis", budget, `budget ${budget} ms`),
          },
        ],
      },
      760,
      Math.max(160, 60 + rows.length * 32),
    ),
  };
}

export function durationChart(projects: ProjectReport[], targetMs: number): Chart {
  const withData = projects.filter((p) => p.p50Ms !== undefined);
  const s = (ms: number | undefined) => (ms === undefined ? 0 : round(ms / 1000, 1));
  return {
    id: "build-durations",
    title: "Build duration p50 / p90 per project",
    caption: `Successful builds in the window, seconds, against the target of a build under ${targetMs / 60_000} minutes (report.targets.buildMinutes).`,
    svg: render({
      legend: { top: 0 },
      grid: { left: 60, right: 40, top: 40, bottom: 60 },
      xAxis: { type: "category", data: withData.map((p) => p.project) },
      yAxis: {
        type: "value",
        name: "seconds",
        max: (v: { max: number }) => Math.ceil(Math.max(v.max, targetMs / 1000) * 1.1),
      },
      series: [
        {
          name: "p50",
          type: "bar",
          data: withData.map((p) => s(p.p50Ms)),
          label: { show: true, position: "top" },
          markLine: referenceLine("yAxis", targetMs / 1000, `target ${targetMs / 60_000} min`),
        },
        {
          name: "p90",
          type: "bar",
          data: withData.map((p) => s(p.p90Ms)),
          label: { show: true, position: "top" },
        },
      ],
    }),
  };
}

export function successChart(projects: ProjectReport[], target: number): Chart {
  const withData = projects.filter((p) => p.successRate !== undefined);
  return {
    id: "success-rate",
    title: "Success rate per project",
    caption: `Succeeded / finished builds in the window, %, against the target of more than ${target * 100} % (report.targets.successRate).`,
    svg: render({
      grid: { left: 60, right: 40, top: 30, bottom: 60 },
      xAxis: {
        type: "category",
        data: withData.map((p) => `${p.project} (${p.succeeded}/${p.succeeded + p.failed})`),
      },
      yAxis: { type: "value", name: "%", min: 0, max: 100 },
      series: [
        {
          name: "success rate",
          type: "bar",
          data: withData.map((p) => ({
            value: round(p.successRate! * 100, 1),
            itemStyle: p.successRate! <= target ? { color: "#c0392b" } : { color: "#27ae60" },
          })),
          label: { show: true, position: "top", formatter: "{c} %" },
          markLine: referenceLine("yAxis", target * 100, `target ${target * 100} %`),
        },
      ],
    }),
  };
}

export function costChart(projects: ProjectReport[], data: ReportData, buildsPerMonth: number): Chart {
  const priced = projects.filter((p) => p.costPerBuildUsd !== undefined);
  return {
    id: "costs",
    title: "Cost per month",
    caption:
      `Compute type rate × billed minutes (rounded up per build), USD per month: at the frequency seen in the ` +
      `${data.windowDays}-day window, and at ${buildsPerMonth} builds a month; against the target of under $${data.targets.monthlyUsd} (report.targets.monthlyUsd).`,
    svg: render({
      legend: { top: 0 },
      grid: { left: 60, right: 40, top: 40, bottom: 60 },
      xAxis: { type: "category", data: priced.map((p) => `${p.project} (${p.computeType})`) },
      yAxis: {
        type: "value",
        name: "USD / month",
        max: (v: { max: number }) => Math.ceil(Math.max(v.max, data.targets.monthlyUsd) * 115) / 100,
      },
      series: [
        {
          name: "at the window's frequency",
          type: "bar",
          data: priced.map((p) => round(p.monthlyUsdObserved ?? 0, 3)),
          label: { show: true, position: "top" },
          markLine: referenceLine("yAxis", data.targets.monthlyUsd, `target $${data.targets.monthlyUsd}`),
        },
        {
          name: `at ${buildsPerMonth} builds / month`,
          type: "bar",
          data: priced.map((p) => round(p.monthlyUsdPlanned ?? 0, 3)),
          label: { show: true, position: "top" },
        },
      ],
    }),
  };
}

/** Every chart the data has something for, in page order. */
export function reportCharts(data: ReportData, buildsPerMonth: number): Chart[] {
  const charts: Chart[] = data.projects.map(phaseChart);
  if (data.headline) charts.push(headlineChart(data.headline));
  if (data.images.length) charts.push(imageSizeChart(data.images));
  if (data.layers.length) charts.push(layerSizeChart(data.layers, data.targets.lambdaUnzippedBytes));
  if (data.layers.some((l) => l.imports.length))
    charts.push(importTimeChart(data.layers.filter((l) => l.imports.length)));
  if (data.projects.some((p) => p.p50Ms !== undefined))
    charts.push(durationChart(data.projects, data.targets.buildDurationMs));
  if (data.projects.some((p) => p.successRate !== undefined))
    charts.push(successChart(data.projects, data.targets.successRate));
  if (data.projects.some((p) => p.costPerBuildUsd !== undefined))
    charts.push(costChart(data.projects, data, buildsPerMonth));
  return charts;
}
