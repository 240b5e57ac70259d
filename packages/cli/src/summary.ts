import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CommandRegistrar, ConfigError, formatDuration } from "@prebake/core";

/** One row of the summary: whatever a command recorded as its result, normalised. */
export interface SummaryRow {
  kind: string;
  name: string;
  action: string;
  durationMs: number | undefined;
  /** The environment a stack was deployed to (`default`: the profile's own); images and layers have none. */
  environment?: string | undefined;
  detail: string;
}

type Result = Record<string, unknown>;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

function layerAction(l: Result): string {
  if (l.published === true) return "published";
  if (l.published === false) return "skipped (unchanged)";
  return l.upToDate ? "up to date" : "built";
}

/**
 * The rows of each kind of run (results say their kind: the same names the history uses). A
 * result without a kind (render, lint, validate) is a step of some unit of work, not a row.
 */
const rowsOfKind: Record<string, (r: Result) => SummaryRow[]> = {
  image: (r) => [
    {
      kind: "image",
      name: [str(r.name), str(r.version)].filter(Boolean).join(":") || "?",
      action: str(r.action) ?? "done",
      durationMs: num(r.durationMs),
      detail: str(r.uri) ?? "",
    },
  ],
  deploy: (r) => [
    {
      kind: "stack",
      name: str(r.stack) ?? "?",
      action: str(r.action) ?? "done",
      durationMs: num(r.durationMs),
      environment: str(r.environment),
      detail: str(r.stackName) ?? "",
    },
  ],
  // A promotion's rows are the deploys it made in the target environment.
  promote: (r) => ((r.deployed as Result[] | undefined) ?? []).flatMap((d) => rowsOfKind.deploy!(d)),
  layer: (r) =>
    ((r.layers as Result[] | undefined) ?? []).map((l) => ({
      kind: "layer",
      name: str(l.name) ?? "?",
      action: layerAction(l),
      durationMs: num(l.durationMs) ?? num(l.buildMs),
      detail: str(l.layerVersionArn) ?? "",
    })),
  "codebuild-local": (r) => [
    {
      kind: "build",
      name: str(r.project) ?? "local",
      action: str(r.status)?.toLowerCase() ?? "done",
      durationMs: num(r.durationMs),
      detail: str(r.image) ?? "",
    },
  ],
  "codebuild-remote": (r) => [
    {
      kind: "build",
      name: str(r.projectName) ?? "?",
      action: str(r.status)?.toLowerCase() ?? "done",
      durationMs: num(r.durationMs),
      detail: str(r.buildId) ?? "",
    },
  ],
  pipeline: (r) => [
    {
      kind: "pipeline",
      name: str(r.pipeline) ?? str(r.name) ?? "?",
      action: str(r.status)?.toLowerCase() ?? "done",
      durationMs: num(r.durationMs),
      detail: str(r.executionId) ?? "",
    },
  ],
};

/** The summary rows of a recorded result: arrays and `{ results: [...] }` are flattened. */
export function toSummaryRows(result: unknown): SummaryRow[] {
  if (Array.isArray(result)) return result.flatMap(toSummaryRows);
  if (!result || typeof result !== "object") return [];
  const r = result as Result;
  if (Array.isArray(r.results)) return (r.results as unknown[]).flatMap(toSummaryRows);
  const rows = typeof r.kind === "string" ? rowsOfKind[r.kind] : undefined;
  return rows ? rows(r) : [];
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
      "print the table of what a pipeline run did: each image, layer and stack, done or skipped, how long, and " +
        "the environment each stack was deployed to (images and layers are built once, for every environment)",
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
