import { parseConfig } from "@prebake/core";
import { describe, expect, it } from "vitest";
import {
  billedMinutes,
  buildCost,
  buildReport,
  parseSince,
  quantile,
  RATES,
  rateTable,
  renderHtml,
  reportCharts,
  reportTargets,
  sparkline,
  summaryLines,
} from "../src/index.ts";
import { FIXTURE_BUDGETS, fixtureHistory, NOW } from "./fixture.ts";

const settings = {
  since: parseSince("30d", NOW),
  now: NOW,
  rates: rateTable({}),
  defaultComputeType: "BUILD_GENERAL1_SMALL",
  buildsPerMonth: 100,
  // The defaults of prebake.config.yaml's report.targets, as a project without the key has them.
  targets: reportTargets(parseConfig("{}", "/repo/prebake.config.yaml", "/repo", { env: {} }).report.targets),
};
const report = () => buildReport(fixtureHistory(), [], FIXTURE_BUDGETS, settings);

describe("report numbers", () => {
  it("success rate, p50/p90 and costs per project, over the window only", () => {
    const data = report();
    const local = data.projects.find((p) => p.project === "ci/ErlangAppProject")!;
    expect(local.builds).toHaveLength(8); // the 45-day-old failure is outside the window
    expect([local.succeeded, local.failed]).toEqual([7, 1]);
    expect(local.successRate).toBeCloseTo(7 / 8);
    // Successful durations: 2800..2940 (6 of them; i=4 failed) and the 97.2 s regression.
    expect(local.p50Ms).toBe(2860);
    expect(local.p90Ms).toBeCloseTo(2940 + (97_200 - 2940) * 0.4);
    // One billed minute each at $0.005; 8 builds in 30 days scale to 8 a month.
    expect(local.costPerBuildUsd).toBe(0.005);
    expect(local.monthlyUsdObserved).toBeCloseTo(0.04);
    expect(local.monthlyUsdPlanned).toBeCloseTo(0.5);

    const remote = data.projects.find((p) => p.kind === "codebuild-remote")!;
    // SUBMITTED and QUEUED are not billed: 59 s of running phases is one minute.
    expect(remote.builds[0]!.billedMs).toBe(22_000 + 3_000 + 2_000 + 20 + 30_000 + 30);
    expect(remote.builds[0]!.phases).toEqual({
      PROVISIONING: 22_000,
      INSTALL: 2_000,
      BUILD: 30_000,
      other: 3_050,
    });
  });

  it("the headline before/after from the benchmark's records (medians)", () => {
    const h = report().headline!;
    expect(h.baseline).toEqual({ runs: 2, installMs: 479_500, totalMs: 482_500 });
    expect(h.baked).toEqual({ runs: 2, installMs: 650.5, totalMs: 3_050.5 });
    expect(h.installRatio).toBeCloseTo(650.5 / 479_500);
  });

  it("image sizes per version line against image.yaml's budget, layers against 250 MB and the cold-start budget", () => {
    const data = report();
    const otp = data.images.find((i) => i.image === "erlang-otp:27.3.4.1")!;
    expect(otp.points.map((p) => p.sizeBytes / 1024 / 1024)).toEqual([110, 114, 118]);
    expect([otp.budgetBytes, otp.overBudget]).toEqual([200 * 1024 * 1024, false]);
    expect(data.images.find((i) => i.image === "python-layer:3.11")?.budgetBytes).toBeUndefined();
    const [layer] = data.layers;
    expect(layer?.totalUnzippedBytes).toBe(7_540_000 + Math.round(15.3 * 1024 * 1024) + 2 * 1024 * 1024);
    expect(layer?.overColdStart).toEqual(["common_utils"]);
  });

  it("an empty history is a report with nothing in it, not an error", () => {
    const data = buildReport([], [], { images: {}, layers: {} }, settings);
    expect([data.projects, data.images, data.layers, data.headline]).toEqual([[], [], [], undefined]);
    expect(summaryLines(data)).toEqual(["no runs in the window"]);
    expect(reportCharts(data, 100)).toEqual([]);
    expect(renderHtml(data, [])).toContain("No CodeBuild runs in the window");
  });
});

describe("costs, statistics, window", () => {
  it("bills whole minutes at the compute type's rate; the config overrides and adds rates", () => {
    expect([billedMinutes(1), billedMinutes(60_000), billedMinutes(60_001)]).toEqual([1, 1, 2]);
    expect(buildCost(5 * 60_000, "BUILD_GENERAL1_SMALL", RATES)).toBeCloseTo(0.025); // $0.025 for a 5-minute build
    expect(buildCost(30_000, "BUILD_GENERAL1_SMALL", RATES)).toBeCloseTo(0.005);
    expect(buildCost(60_000, "BUILD_LAMBDA_1GB", RATES)).toBeUndefined();
    const table = rateTable({ BUILD_GENERAL1_SMALL: 0.006, BUILD_LAMBDA_1GB: 0.001 });
    expect(table.BUILD_GENERAL1_SMALL).toEqual({
      usdPerMinute: 0.006,
      source: "prebake.config.yaml report.ratesPerMinute",
    });
    expect(buildCost(60_000, "BUILD_LAMBDA_1GB", table)).toBe(0.001);
    for (const rate of Object.values(RATES)) expect(rate.source).toMatch(/read \d{4}-\d{2}-\d{2}/);
  });

  it("quantiles interpolate; sparklines scale to the values", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeUndefined();
    expect(sparkline([1, 5, 10])).toBe("▁▄█");
    expect(sparkline([3, 3])).toBe("▄▄");
  });

  it("--since takes a length or a date; anything else is exit 3 naming --since", () => {
    expect(parseSince("30d", NOW)).toBe(NOW - 30 * 86_400_000);
    expect(parseSince("12h", NOW)).toBe(NOW - 12 * 3_600_000);
    expect(parseSince("2026-11-01", NOW)).toBe(Date.parse("2026-11-01"));
    expect(() => parseSince("last month", NOW)).toThrow(
      expect.objectContaining({ exitCode: 3, where: "--since" }),
    );
  });
});

describe("charts and page", () => {
  it("every chart is an inline SVG with data marks; the page loads nothing from elsewhere", () => {
    const data = report();
    const charts = reportCharts(data, 100);
    expect(charts.map((c) => c.id)).toEqual([
      "phases-codebuild-local-ci/ErlangAppProject",
      "phases-codebuild-remote-prebake-ci-erlang-app",
      "headline",
      "image-sizes",
      "layer-sizes",
      "import-times",
      "build-durations",
      "success-rate",
      "costs",
    ]);
    for (const c of charts) {
      expect(c.svg.startsWith("<svg"), c.id).toBe(true);
      expect(c.svg.match(/ecmeta_ssr_type="chart"/g)?.length ?? 0, c.id).toBeGreaterThan(0);
    }
    const html = renderHtml(data, charts);
    expect(html).not.toMatch(/<script|<link|src=|url\((?!#)|@import|https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<svg/g)).toHaveLength(charts.length);
    // The targets table: 7 of 8 local builds succeeded is below 99 %; the layer's slowest import is over 200 ms.
    expect(html).toContain(
      "<td>ci/ErlangAppProject: success rate</td><td>&gt; 99 %</td><td>87.5 %</td><td>NO</td>",
    );
    expect(html).toContain(
      "<td>common-utils: cold import (slowest module)</td><td>&lt; 200 ms</td><td>212 ms</td><td>NO</td>",
    );
    expect(html).toContain(
      "<td>common-utils: layer size (zipped)</td><td>&lt; 50.0 MB</td><td>2.6 MB</td><td>yes</td>",
    );
  });

  it("the targets are the project's own (report.targets): the table, the charts and the summary follow them", () => {
    const targets = reportTargets({
      successRate: 0.8,
      buildMinutes: 0.5,
      monthlyUsd: 0.02,
      layerZippedMB: 2,
    });
    const data = buildReport(fixtureHistory(), [], FIXTURE_BUDGETS, { ...settings, targets });
    const charts = reportCharts(data, 100);
    const html = renderHtml(data, charts);
    // 7 of 8 succeeded is above 80 %; the p90 (40.6 s) is over half a minute; $0.04 a month is over $0.02.
    expect(html).toContain(
      "<td>ci/ErlangAppProject: success rate</td><td>&gt; 80 %</td><td>87.5 %</td><td>yes</td>",
    );
    expect(html).toContain(
      "<td>ci/ErlangAppProject: build duration p90</td><td>&lt; 0.5 min</td><td>40.6s</td><td>NO</td>",
    );
    expect(html).toContain(
      "<td>ci/ErlangAppProject: cost a month (window)</td><td>&lt; $0.02</td><td>$0.04</td><td>NO</td>",
    );
    expect(html).toContain(
      "<td>common-utils: layer size (zipped)</td><td>&lt; 2.0 MB</td><td>2.6 MB</td><td>NO</td>",
    );
    const caption = (id: string) => charts.find((c) => c.id === id)!.caption;
    expect(caption("build-durations")).toContain("a build under 0.5 minutes (report.targets.buildMinutes)");
    expect(caption("success-rate")).toContain("more than 80 % (report.targets.successRate)");
    expect(caption("costs")).toContain("under $0.02 (report.targets.monthlyUsd)");
    expect(charts.find((c) => c.id === "build-durations")!.svg).toContain("target 0.5 min");
    expect(summaryLines(data)[0]).toContain("(p90 over 0.5 min)");
  });

  it("nothing the user reads names the documents prebake came from", () => {
    const data = report();
    const charts = reportCharts(data, 100);
    const shown = [renderHtml(data, charts), ...summaryLines(data), ...data.rates.map((r) => r.source)];
    for (const text of shown) expect(text).not.toMatch(/\bseed/i);
  });

  it("the terminal summary has a line per project, the headline, each image and layer", () => {
    const lines = summaryLines(report());
    expect(lines[0]).toMatch(/^ci\/ErlangAppProject \[local\] {2}8 build\(s\) {2}\S{8} {2}p50 2\.9s/);
    expect(lines.find((l) => l.startsWith("headline:"))).toBe(
      "headline: install 8m00s -> 651ms (0.0014x), build 8m03s -> 3.1s (0.0063x)",
    );
    expect(lines.find((l) => l.startsWith("image erlang-otp"))).toContain("(budget 200.0 MB)");
    expect(lines.find((l) => l.startsWith("layer common-utils"))).toContain(
      "slowest import common_utils 212 ms (budget 200 ms)",
    );
  });
});
