import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { deployedProjectName } from "@prebake/codebuild";
import {
  appendHistoryLine,
  type CommandRegistrar,
  ConfigError,
  type Context,
  classifyAwsError,
  firstLine,
  gitRevision,
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
import { rateTable } from "./costs.ts";
import { type Budgets, buildReport, type ReportData, reportTargets } from "./data.ts";
import { renderHtml } from "./html.ts";
import { syncProject } from "./sync.ts";
import { summaryLines } from "./terminal.ts";
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

export const DEFAULT_REPORT_PATH = "dist/report/index.html";

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

async function historySync(ctx: Context, opts: { last: string; project: string[] }): Promise<void> {
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
    git: await gitRevision(ctx.config.rootDir),
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

export const registerReportCommands: CommandRegistrar = (program, getContext) => {
  program
    .command("report")
    .summary("an HTML page with charts of build times, sizes, success rate and cost, from the run history")
    .description(
      "Read .prebake/history (every build, push, layer and deploy prebake ran, and CodeBuild's builds after " +
        "`prebake history sync`) and write one self-contained HTML page (inline SVG charts, works offline): " +
        "phase durations per build, before/after baking (the headline benchmark), image sizes against " +
        "image.yaml's budget, layer sizes against 250 MB and import times against budget.coldStartMs, success " +
        "rate and p50/p90 duration against report.targets in prebake.config.yaml, and cost per build and per month. Prints a short " +
        "summary with sparklines; --json prints the same numbers.",
    )
    .option("--since <window>", "how far back: 12h, 30d, 8w, or a date (2026-11-01)", "30d")
    .option(
      "--out <file>",
      `where to write the page (default: ${DEFAULT_REPORT_PATH} at the repository root)`,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake report\n  prebake report --since 7d --out /tmp/report.html\n  prebake --json report > report.json\n" +
        "\nExit codes: 0 written (also with no runs), 3 bad --since or configuration.",
    )
    .action(async (opts: { since: string; out?: string }) => {
      const ctx = getContext();
      const data = reportData(ctx, opts.since);
      const path = await writeReport(ctx, data, opts.out);
      ctx.out.step(`report: ${relative(process.cwd(), path) || path}`);
      for (const line of summaryLines(data)) ctx.out.info(line);
      ctx.out.result(data);
    });

  const history = program
    .command("history")
    .summary("the run history behind prebake report")
    .addHelpText("after", "\nExample:\n  prebake --profile aws history sync --last 50");
  history
    .command("sync")
    .summary("pull CodeBuild's last builds of each project into the history (aws profile)")
    .description(
      "ListBuildsForProject + BatchGetBuilds for each CodeBuild project of the rendered stacks (or --project): " +
        "the last N finished builds, with their phases, status and compute type, appended to " +
        ".prebake/history/codebuild-remote.jsonl. Builds already there are not added twice.",
    )
    .option("--last <n>", "builds per project", "20")
    .option(
      "--project <name...>",
      "deployed CodeBuild project names (default: every project of the rendered stacks)",
      [],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake --profile aws history sync\n  prebake --profile aws history sync --last 100 --project prebake-ci-hello-erlang\n" +
        "\nExit codes: 3 local profile or bad --last, 5 AWS unreachable, 6 credentials.",
    )
    .action(async (opts: { last: string; project: string[] }) => historySync(getContext(), opts));
};
