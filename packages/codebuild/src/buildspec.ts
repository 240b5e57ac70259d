import { readFileSync } from "node:fs";
import { ConfigError } from "@prebake/core";
import { isMap, isScalar, type YAMLMap } from "yaml";
import { parseBatch, parseEnv, parseProxy } from "./buildspec-env.ts";
import type { Buildspec } from "./buildspec-model.ts";
import { parseArtifacts, parseCache, parseReports } from "./buildspec-outputs.ts";
import { parsePhases, readRunAs } from "./buildspec-phases.ts";
import { SpecReader } from "./spec-reader.ts";

export {
  type ActionStep,
  type ArtifactSet,
  type Artifacts,
  type Batch,
  type Buildspec,
  type Cache,
  type Env,
  PHASES,
  type Phase,
  type PhaseName,
  type ReportFormat,
  type ReportGroup,
} from "./buildspec-model.ts";

/**
 * Buildspec version 0.2: parsed with line numbers, validated strictly against CodeBuild's
 * buildspec reference (an unknown key is an error, as a typo in a buildspec otherwise silently
 * does nothing), and reduced to the model the runners execute. Warnings name what CodeBuild
 * would do differently from what the file seems to say.
 */
const TOP_KEYS = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"];

function parseVersion(reader: SpecReader, root: YAMLMap, warnings: string[]): string {
  const node = root.get("version", true);
  const version = node === undefined ? undefined : String(isScalar(node) ? node.value : "");
  if (!version) return reader.fail(root, "missing version", "add `version: 0.2` at the top");
  if (version !== "0.2" && version !== "0.1")
    reader.fail(node, `unsupported version '${version}'`, "use version: 0.2");
  if (version === "0.1") {
    warnings.push(
      `${reader.file}:${reader.lineOf(node)}: version 0.1 runs every command in its own shell (cd and export do not carry over); use 0.2`,
    );
  }
  return version;
}

export function parseBuildspec(text: string, file: string): Buildspec {
  const reader = new SpecReader(text, file);
  const root = reader.doc.contents;
  if (!isMap(root))
    reader.fail(root, "a buildspec is a mapping with version and phases", "start with `version: 0.2`");
  const rootMap = root as YAMLMap;
  reader.keys(rootMap, TOP_KEYS, "the buildspec");
  const warnings: string[] = [];
  const version = parseVersion(reader, rootMap, warnings);
  return {
    file,
    version,
    runAs: readRunAs(reader, rootMap.get("run-as", true), "run-as"),
    env: parseEnv(reader, rootMap),
    proxy: parseProxy(reader, rootMap),
    batch: parseBatch(reader, rootMap),
    phases: parsePhases(reader, rootMap),
    reports: parseReports(reader, rootMap),
    artifacts: parseArtifacts(reader, rootMap),
    cache: parseCache(reader, rootMap, warnings),
    warnings,
    lines: reader.lines,
  };
}

export function loadBuildspec(path: string, shown: string = path): Buildspec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError("buildspec not found", {
      where: shown,
      fix: "check the path (relative to the source directory)",
    });
  }
  return parseBuildspec(text, shown);
}

/** `file:line` of a key path such as `phases.build.on-failure` (the file alone when unknown). */
export function whereIn(spec: Buildspec, path: string): string {
  const line = spec.lines[path];
  return line ? `${spec.file}:${line}` : spec.file;
}
