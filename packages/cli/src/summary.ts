import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DeployRun, firstLine, type LayerRunItem, type RunResult, runResultsOf } from "@prebake/core";

/** One row of the summary: a run a command recorded as its result. */
export interface SummaryRow {
  kind: string;
  name: string;
  action: string;
  durationMs: number | undefined;
  /** The environment a stack was deployed to (`default`: the profile's own); images and layers have none. */
  environment?: string | undefined;
  detail: string;
}

/** The summary's word for what happened to a layer (history keeps the result's own word). */
const LAYER_ACTIONS: Record<LayerRunItem["action"], string> = {
  built: "built",
  "up to date": "up to date",
  published: "published",
  unchanged: "skipped (unchanged)",
};

const deployRow = (r: DeployRun): SummaryRow => ({
  kind: "stack",
  name: r.stack,
  action: r.action,
  durationMs: r.durationMs,
  environment: r.environment,
  detail: r.stackName,
});

/** A build's or a pipeline's row: its status, in lower case, is what happened. */
const runRow = (
  kind: string,
  name: string,
  r: { status: string; durationMs: number },
  detail: string,
): SummaryRow => ({ kind, name, action: r.status.toLowerCase(), durationMs: r.durationMs, detail });

/** The rows of one run (the history reads the same results: run-result.ts in core). */
function rowsOf(r: RunResult): SummaryRow[] {
  switch (r.kind) {
    case "image":
      return [
        {
          kind: "image",
          name: `${r.name}:${r.version}`,
          action: r.action,
          durationMs: r.durationMs,
          detail: r.uri ?? "",
        },
      ];
    case "deploy":
      return [deployRow(r)];
    case "promote":
      // A promotion's rows are the deploys it made in the target environment.
      return r.deployed.map(deployRow);
    case "layer":
      return r.layers.map((l) => ({
        kind: "layer",
        name: l.name,
        action: LAYER_ACTIONS[l.action],
        durationMs: l.durationMs,
        detail: l.layerVersionArn ?? "",
      }));
    case "codebuild-local":
      return [runRow("build", r.project, r, r.image ?? "")];
    case "codebuild-remote":
      return [runRow("build", r.projectName, r, r.buildId)];
    case "pipeline":
      return [runRow("pipeline", r.pipeline, r, r.executionId)];
  }
}

/** The summary rows of a recorded result (arrays and `{ results: [...] }` hold several); render/lint results are none. */
export function toSummaryRows(result: unknown): SummaryRow[] {
  return runResultsOf(result).flatMap(rowsOf);
}

/** Every row of a run's results folder; a line that is not a result is named and skipped. */
export function readSummary(dir: string, warn: (message: string) => void = () => {}): SummaryRow[] {
  const file = join(dir, "results.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((text, i) => {
      if (!text.trim()) return [];
      try {
        return toSummaryRows((JSON.parse(text) as { result: unknown }).result);
      } catch (err) {
        warn(`${file}:${i + 1}: ${firstLine(err)}; left out of the summary`);
        return [];
      }
    });
}
