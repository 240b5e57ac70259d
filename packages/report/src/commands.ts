/** What `prebake report` and `prebake history sync` do; cli.ts registers them and loads this when one runs. */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { deployedProjectName } from "@prebake/codebuild";
import {
  appendHistoryLine,
  ConfigError,
  type Context,
  classifyAwsError,
  firstLine,
  historyDir,
  isNotFound,
  listLayers,
  listStacks,
  parseIntegerOption,
  processMasker,
  readHistory,
  writeFileAtomic,
} from "@prebake/core";
import { imagesDir, listImageNames, loadImageDefinition } from "@prebake/images";
import { loadLayerDefinition, mbToBytes } from "@prebake/layers";
import { readStackTemplate } from "@prebake/stack";
import { reportCharts } from "./charts.ts";
import { DEFAULT_REPORT_PATH } from "./cli.ts";
import { rateTable } from "./costs.ts";
import { type Budgets, buildReport, type ReportData, reportTargets } from "./data.ts";
import { renderHtml } from "./html.ts";
import { syncProject } from "./sync.ts";
import { parseSince } from "./window.ts";

const MB = 1024 * 1024;

/** Budgets from the definitions; a definition that does not load is a warning (the report still renders). */
function readBudgets(ctx: Context): Budgets {
  const root = ctx.config.rootDir;
  const budgets: Budgets = { images: {}, layers: {} };
  const dir = imagesDir(root);
  for (const name of existsSync(dir) ? listImageNames(dir) : []) {
    try {
      const mb = loadImageDefinition(dir, name).budget?.compressedMB;
      if (mb !== undefined) budgets.images[name] = mb * MB;
    } catch (err) {
      ctx.out.warn(`images/${name}: no size budget shown (${firstLine(err)})`);
    }
  }
  for (const name of listLayers(root)) {
    try {
      const { budget } = loadLayerDefinition(root, name);
      budgets.layers[name] = {
        others: [
          ...budget.otherLayers.map((o) => ({ name: o.name, bytes: mbToBytes(o.sizeMB) })),
          ...(budget.functionCodeMB > 0
            ? [{ name: "function code", bytes: mbToBytes(budget.functionCodeMB) }]
            : []),
        ],
        coldStartMs: budget.coldStartMs,
      };
    } catch (err) {
      ctx.out.warn(`layers/${name}: no layer budget shown (${firstLine(err)})`);
    }
  }
  return budgets;
}

/** The history of the window as report data (also what --json prints). */
export function reportData(ctx: Context, since: string, now: number = Date.now()): ReportData {
  const dir = historyDir(ctx.config.rootDir);
  const { lines, problems } = readHistory(dir);
  for (const p of problems.slice(0, 5))
    ctx.out.warn(`${relative(ctx.config.rootDir, p.file) || p.file}:${p.line}: skipped: ${p.reason}`);
  if (problems.length > 5) ctx.out.warn(`... and ${problems.length - 5} more skipped history line(s)`);
  const settings = ctx.config.report;
  return buildReport(lines, problems, readBudgets(ctx), {
    since: parseSince(since, now),
    now,
    rates: rateTable(settings.ratesPerMinute),
    defaultComputeType: settings.defaultComputeType,
    buildsPerMonth: settings.buildsPerMonth,
    targets: reportTargets(settings.targets),
  });
}

/** Write the page (`out` relative to the working folder; default dist/report/index.html at the root); returns its path. */
export async function writeReport(ctx: Context, data: ReportData, out: string | undefined): Promise<string> {
  const path = out ? resolve(out) : join(ctx.config.rootDir, DEFAULT_REPORT_PATH);
  const charts = reportCharts(data, ctx.config.report.buildsPerMonth);
  await writeFileAtomic(path, renderHtml(data, charts));
  return path;
}

/** Every CodeBuild project of the rendered stacks, by its deployed name. */
function deployedProjects(ctx: Context): string[] {
  const root = ctx.config.rootDir;
  return listStacks(root, "source-or-template").flatMap((stack) =>
    Object.entries(readStackTemplate(root, stack).template.Resources)
      .filter(([, r]) => r.Type === "AWS::CodeBuild::Project")
      .map(([id]) => deployedProjectName(root, ctx.config.project, `${stack}/${id}`)),
  );
}

export async function historySync(ctx: Context, opts: { last: string; project: string[] }): Promise<void> {
  const last = parseIntegerOption(opts.last, {
    option: "--last",
    what: "a number of builds",
    min: 1,
    max: 1000,
    fix: "give 1 to 1000",
  });
  if (ctx.config.profile.kind !== "aws")
    throw new ConfigError("history sync reads CodeBuild's builds, which the local profile has none of", {
      where: `profile ${ctx.config.profile.name}`,
      fix: "run it with --profile aws (local runs are recorded as they happen)",
    });
  const dir = historyDir(ctx.config.rootDir);
  const known = new Set(readHistory(dir, ["codebuild-remote"]).lines.flatMap((l) => l.buildId ?? []));
  const run = {
    git: await ctx.gitRevision(),
    environment: ctx.config.profile.name,
    profile: ctx.config.profile.name,
  };
  const client = ctx.aws(CodeBuildClient);
  const counts: Record<string, number> = {};
  for (const name of opts.project.length ? opts.project : deployedProjects(ctx)) {
    try {
      const lines = await syncProject(client, name, last, known, run);
      for (const line of lines) appendHistoryLine(dir, processMasker.maskJson(line) as typeof line);
      counts[name] = lines.length;
      ctx.out.info(`${name}: ${lines.length} new build(s)`);
    } catch (err) {
      const mapped = classifyAwsError(err, ctx.config.profile, `CodeBuild project ${name}`);
      if (mapped !== err) throw mapped;
      if (!isNotFound(err)) throw err;
      ctx.out.warn(`${name}: not deployed (no such CodeBuild project); skipped`);
    }
  }
  ctx.out.result({ historyDir: dir, synced: counts });
}
