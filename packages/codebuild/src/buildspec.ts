import { readFileSync } from "node:fs";
import { ConfigError } from "@prebake/core";
import { isMap, isScalar, type YAMLMap } from "yaml";
import { emptyEnv, parseBatch, parseEnv, parseProxy } from "./buildspec-env.ts";
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
 * A buildspec, version 0.2 or 0.1: parsed with line numbers, validated strictly against
 * CodeBuild's buildspec reference (an unknown key is an error, as a typo in a buildspec otherwise
 * silently does nothing), and reduced to the model the runners execute. Every problem of the file
 * is reported at once, each with its file:line:column. Warnings name what CodeBuild would do
 * differently from what the file seems to say, and the replacement of what it deprecates.
 */
const TOP_KEYS = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"];
/** Version 0.1's name of env (with plaintext for variables); 0.2 renamed both. */
const V01_ENV = "environment_variables";

function parseVersion(reader: SpecReader, root: YAMLMap, warnings: string[]): string {
  const node = root.get("version", true);
  const version = node === undefined ? undefined : String(isScalar(node) ? node.value : "");
  if (!version) return reader.fail(root, "missing version", "add `version: 0.2` at the top");
  if (version !== "0.2" && version !== "0.1")
    reader.fail(node, `unsupported version '${version}'`, "use version: 0.2");
  if (version === "0.1") {
    warnings.push(
      `${reader.placeOf(node)}: version 0.1 runs every command in its own shell (cd and export do not carry over; prebake runs it so too); it is deprecated: use version: 0.2`,
    );
  }
  return version;
}

export function parseBuildspec(text: string, file: string): Buildspec {
  const reader = new SpecReader(text, file);
  const root = reader.doc.contents;
  if (!isMap(root)) {
    reader.note(root, "a buildspec is a mapping with version and phases", "start with `version: 0.2`");
    reader.finish();
  }
  const rootMap = root as YAMLMap;
  const warnings: string[] = [];
  const version = reader.section(() => parseVersion(reader, rootMap, warnings), "0.2");
  reader.keys(rootMap, version === "0.1" ? [...TOP_KEYS, V01_ENV] : TOP_KEYS, "the buildspec", {
    [V01_ENV]: "it is version 0.1's name: version 0.2 calls it env (and its plaintext: variables)",
  });
  const section = <T>(read: () => T, fallback: T) => reader.section(read, fallback);
  const batch = section(() => parseBatch(reader, rootMap), undefined);
  const spec: Buildspec = {
    file,
    version,
    runAs: section(() => readRunAs(reader, rootMap.get("run-as", true), "run-as"), undefined),
    env: section(() => parseEnv(reader, rootMap, version), emptyEnv()),
    proxy: section(() => parseProxy(reader, rootMap), undefined),
    batch,
    phases: section(() => parsePhases(reader, rootMap, batch), {}),
    reports: section(() => parseReports(reader, rootMap), []),
    artifacts: section(() => parseArtifacts(reader, rootMap, warnings), undefined),
    cache: section(() => parseCache(reader, rootMap, warnings), undefined),
    warnings,
    lines: reader.lines,
  };
  reader.finish();
  return spec;
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
