import { existsSync } from "node:fs";
import type { CommandRegistrar } from "@prebake/core";
import { ConfigError } from "@prebake/core/errors";
import { formatDuration } from "@prebake/core/format";

// The registrar alone: reading a run's results (their schema) is loaded when the command runs.

export const registerSummaryCommand: CommandRegistrar = (program, getContext) => {
  program
    .command("summary")
    .description(
      "print the table of what a pipeline run did: each image, layer and stack, done or skipped, how long, and " +
        "the environment each stack was deployed to (images and layers are built once, for every environment)",
    )
    .requiredOption(
      "--dir <dir>",
      "the run's results folder (npm start sets PREBAKE_SUMMARY_DIR to .prebake/runs/<time>)",
    )
    .option("--since-ms <epochMs>", "also print the total wall time since this moment")
    .addHelpText("after", "\nExample:\n  prebake summary --dir .prebake/runs/20261123T101500Z")
    .action(async (opts: { dir: string; sinceMs?: string }) => {
      const { readSummary } = await import("./summary.ts");
      const { out } = getContext();
      if (!existsSync(opts.dir)) {
        throw new ConfigError("no such results folder", {
          where: opts.dir,
          fix: "pass the folder npm start printed",
        });
      }
      const rows = readSummary(opts.dir, (m) => out.warn(m));
      out.step("summary");
      out.table(
        ["kind", "name", "action", "time", "environment", "detail"],
        rows.map((r) => [
          r.kind,
          r.name,
          r.action,
          r.durationMs === undefined ? "-" : formatDuration(r.durationMs),
          r.environment ?? "-",
          r.detail,
        ]),
      );
      if (opts.sinceMs) out.info(`total ${formatDuration(Date.now() - Number(opts.sinceMs))}`);
      // Not out.result(): that would record the summary into the very folder it reads.
      if (out.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    });
};
