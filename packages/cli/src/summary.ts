import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CommandRegistrar, ConfigError, formatDuration } from "@prebake/core";

/** One row of the summary: whatever a command recorded as its result, normalised. */
export interface SummaryRow {
  kind: string;
  name: string;
  action: string;
  durationMs: number | undefined;
  detail: string;
}

type Result = Record<string, unknown>;

/**
 * Results differ per command (image push, stack deploy, layer publish); find the common fields.
 * Only the pipeline's units of work (an image, a stack, a layer) become rows: render and lint
 * results, which carry no duration, are steps of a stack's deploy, not rows of their own.
 */
export function toSummaryRows(result: unknown): SummaryRow[] {
  if (Array.isArray(result)) return result.flatMap(toSummaryRows);
  if (!result || typeof result !== "object") return [];
  const r = result as Result;
  if (Array.isArray(r.results)) return (r.results as unknown[]).flatMap(toSummaryRows);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  if (Array.isArray(r.layers)) {
    return (r.layers as Result[]).map((l) => ({
      kind: "layer",
      name: str(l.name) ?? "?",
      action:
        l.published === true
          ? "published"
          : l.published === false
            ? "skipped (unchanged)"
            : l.upToDate
              ? "up to date"
              : "built",
      durationMs: num(l.durationMs) ?? num(l.buildMs),
      detail: str(l.layerVersionArn) ?? "",
    }));
  }
  const durationMs = num(r.durationMs);
  if (durationMs === undefined) return [];
  const kind =
    str(r.kind) ?? (r.stack ? "stack" : r.digest || r.repository || r.contentHash ? "image" : "task");
  const name = str(r.stack) ?? [str(r.name), str(r.version)].filter(Boolean).join(":");
  return [
    {
      kind,
      name: name || "?",
      action: str(r.action) ?? str(r.status) ?? "done",
      durationMs,
      detail: str(r.uri) ?? str(r.stackName) ?? "",
    },
  ];
}

export function readSummary(dir: string): SummaryRow[] {
  const file = join(dir, "results.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => toSummaryRows((JSON.parse(l) as { result: unknown }).result));
}

export const registerSummaryCommand: CommandRegistrar = (program, getContext) => {
  program
    .command("summary")
    .description(
      "print the table of what a pipeline run did: each image, layer and stack, done or skipped, and how long",
    )
    .requiredOption(
      "--dir <dir>",
      "the run's results folder (npm start sets PREBAKE_SUMMARY_DIR to .prebake/runs/<time>)",
    )
    .option("--since-ms <epochMs>", "also print the total wall time since this moment")
    .addHelpText("after", "\nExample:\n  prebake summary --dir .prebake/runs/20261123T101500Z")
    .action((opts: { dir: string; sinceMs?: string }) => {
      const { out } = getContext();
      if (!existsSync(opts.dir)) {
        throw new ConfigError("no such results folder", {
          where: opts.dir,
          fix: "pass the folder npm start printed",
        });
      }
      const rows = readSummary(opts.dir);
      out.step("summary");
      out.table(
        ["kind", "name", "action", "time", "detail"],
        rows.map((r) => [
          r.kind,
          r.name,
          r.action,
          r.durationMs === undefined ? "-" : formatDuration(r.durationMs),
          r.detail,
        ]),
      );
      if (opts.sinceMs) out.info(`total ${formatDuration(Date.now() - Number(opts.sinceMs))}`);
      // Not out.result(): that would record the summary into the very folder it reads.
      if (out.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    });
};
