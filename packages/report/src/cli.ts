import { relative } from "node:path";
import type { CommandRegistrar } from "@prebake/core";

// A registrar loads nothing a command's work needs (the charts, the CodeBuild client): commands.ts
// is imported when a command runs, so `prebake --help` stays light (packages/cli/src/registrars.ts).

export const DEFAULT_REPORT_PATH = "dist/report/index.html";

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
      const [{ reportData, writeReport }, { summaryLines }] = await Promise.all([
        import("./commands.ts"),
        import("./terminal.ts"),
      ]);
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
    .action(async (opts: { last: string; project: string[] }) => {
      const { historySync } = await import("./commands.ts");
      await historySync(getContext(), opts);
    });
};
