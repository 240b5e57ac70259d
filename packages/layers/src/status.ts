/**
 * `prebake status`'s layer rows: for each layer definition and architecture, the newest published
 * version, the version this checkout last published (dist/layers/<name>.json), and the versions
 * Lambda functions use. Read-only (ListLayerVersions, ListFunctions). Layers are published per
 * account and region, not per environment: every environment of a profile shares them.
 */
import { existsSync, readFileSync } from "node:fs";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { type Context, classifyAwsError, distPaths, listLayers } from "@prebake/core";
import { loadLayerDefinition, publishedLayerName } from "./definition.ts";
import { listVersions } from "./publish.ts";

export interface LayerStatus {
  name: string;
  layerName: string;
  arch: string;
  /** The newest published version (undefined: never published). */
  newest: number | undefined;
  /** What this checkout last published or found unchanged (dist/layers/<name>.json). */
  recorded: number | undefined;
  /** Functions that use a version of the layer, and which. */
  usedBy: { functionName: string; version: number }[];
}

/** Every function's layer version ARNs (all pages). */
async function functionLayers(lambda: LambdaClient): Promise<{ functionName: string; arn: string }[]> {
  const uses: { functionName: string; arn: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker: marker }));
    for (const fn of page.Functions ?? []) {
      for (const l of fn.Layers ?? []) uses.push({ functionName: fn.FunctionName ?? "?", arn: l.Arn ?? "" });
    }
    marker = page.NextMarker;
  } while (marker);
  return uses;
}

function recordedVersions(rootDir: string, name: string): Map<string, number> {
  const file = distPaths.layerManifest(rootDir, name);
  if (!existsSync(file)) return new Map();
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as {
      layers?: { layerName?: string; version?: number }[];
    };
    return new Map((record.layers ?? []).map((l) => [l.layerName ?? "", l.version ?? 0]));
  } catch {
    return new Map(); // an unreadable record says nothing about what is in use
  }
}

/** The status of every layer in layers/ (one row per published layer name). */
export async function layerStatus(ctx: Context): Promise<LayerStatus[]> {
  const { rootDir, profile } = ctx.config;
  const names = listLayers(rootDir);
  if (names.length === 0) return [];
  const lambda = ctx.aws(LambdaClient);
  try {
    const uses = await functionLayers(lambda);
    const rows: LayerStatus[] = [];
    for (const name of names) {
      const def = loadLayerDefinition(rootDir, name);
      const recorded = recordedVersions(rootDir, name);
      for (const arch of def.architectures) {
        const layerName = publishedLayerName(def, arch);
        const versions = await listVersions(lambda, layerName);
        const arnPrefix = versions[0]?.LayerVersionArn?.replace(/:\d+$/, ":");
        const usedBy = uses
          .filter((u) => arnPrefix && u.arn.startsWith(arnPrefix))
          .map((u) => ({ functionName: u.functionName, version: Number(u.arn.slice(arnPrefix!.length)) }));
        rows.push({
          name,
          layerName,
          arch,
          newest: versions[0]?.Version,
          recorded: recorded.get(layerName),
          usedBy,
        });
      }
    }
    return rows;
  } catch (err) {
    throw classifyAwsError(err, profile, "Lambda layers");
  }
}
