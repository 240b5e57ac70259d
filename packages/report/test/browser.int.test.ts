import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { appendHistoryLine } from "@prebake/core";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureHistory } from "./fixture.ts";
import { launchHeadlessChromium } from "./headless-chromium.ts";

// The report as a person sees it: rendered by the real CLI from a fixture history, opened in
// Debian's headless Chromium with the network cut off (the page must need nothing from elsewhere).
const repo = resolve(import.meta.dirname, "../../..");
const CLI = join(repo, "packages/cli/bin/prebake.js");
export const SCREENSHOT = join(repo, "dist/report/report-fixture.png");

let work: string;
let browser: BrowserContext;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "prebake-report-browser-"));
  for (const line of fixtureHistory(Date.now())) appendHistoryLine(join(work, "history"), line);
  browser = await launchHeadlessChromium(join(work, "profile"));
});

afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the report page in headless Chromium", () => {
  it("every chart's SVG has visible data marks, no console errors, nothing fetched", async () => {
    const page = join(work, "index.html");
    const r = spawnSync(process.execPath, [CLI, "report", "--out", page], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, PREBAKE_HISTORY_DIR: join(work, "history"), NO_COLOR: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("ci/ErlangAppProject [local]  8 build(s)");

    const tab = await browser.newPage();
    const errors: string[] = [];
    const fetched: string[] = [];
    tab.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://")) return route.continue();
      fetched.push(url);
      return route.abort();
    });
    await tab.goto(`file://${page}`, { waitUntil: "load" });

    const charts = await tab.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg");
        // Data marks: ECharts tags the series' shapes; reference lines (budgets, targets) are unfilled strokes.
        const marks = [...(svg?.querySelectorAll('[ecmeta_ssr_type="chart"]') ?? [])].filter((el) => {
          const box = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          const fill = el.getAttribute("fill");
          return fill && fill !== "none" && box.width > 0 && box.height > 0;
        });
        return {
          id: f.id,
          svg: Boolean(svg),
          marks: marks.length,
          width: svg?.getBoundingClientRect().width ?? 0,
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual([
      "phases-codebuild-local-ci/ErlangAppProject",
      "phases-codebuild-remote-prebake-ci-erlang-app",
      "headline",
      "build-durations",
      "success-rate",
      "image-sizes",
      "layer-sizes",
      "import-times",
      "costs",
    ]);
    for (const c of charts) {
      expect(c.svg, c.id).toBe(true);
      expect(c.marks, `${c.id} has no visible data marks`).toBeGreaterThan(0);
      expect(c.width, c.id).toBeGreaterThan(300);
    }
    expect(errors).toEqual([]);
    expect(fetched).toEqual([]);

    mkdirSync(resolve(SCREENSHOT, ".."), { recursive: true });
    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
