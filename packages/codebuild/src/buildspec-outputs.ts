import type { YAMLMap } from "yaml";
import {
  type ArtifactSet,
  type Artifacts,
  type Cache,
  COVERAGE_REPORT_FORMATS,
  type ReportFormat,
  type ReportGroup,
  TEST_REPORT_FORMATS,
} from "./buildspec-model.ts";
import type { SpecReader } from "./spec-reader.ts";

const ARTIFACT_SET_KEYS = [
  "files",
  "name",
  "discard-paths",
  "base-directory",
  "exclude-paths",
  "enable-symlinks",
  "s3-prefix",
];
const REPORT_KEYS = ["files", "base-directory", "discard-paths", "file-format"];
const CACHE_KEYS = ["paths", "key", "fallback-keys", "action"];
/** CodeBuild: a project has at most five report groups; cache keys at most five fallbacks. */
const MAX_REPORT_GROUPS = 5;
const MAX_FALLBACK_KEYS = 5;

/** artifacts.files: a list, or one path as a string (`files: imagedefinitions.json`, as AWS's ECS tutorial has it). */
function parseArtifactSet(reader: SpecReader, am: YAMLMap, where: string): ArtifactSet {
  const files = reader.stringOrList(am.get("files", true), `${where}.files`);
  if (files.length === 0) reader.fail(am, `${where} without files`, "list the files to keep, e.g. - '**/*'");
  return {
    files,
    baseDirectory: reader.scalar(am.get("base-directory", true), `${where}.base-directory`),
    discardPaths: reader.yesNo(am.get("discard-paths", true), `${where}.discard-paths`) ?? false,
    name: reader.scalar(am.get("name", true), `${where}.name`),
    excludePaths: am.has("exclude-paths")
      ? reader.stringOrList(am.get("exclude-paths", true), `${where}.exclude-paths`)
      : [],
    enableSymlinks: reader.yesNo(am.get("enable-symlinks", true), `${where}.enable-symlinks`) ?? false,
    s3Prefix: reader.scalar(am.get("s3-prefix", true), `${where}.s3-prefix`),
  };
}

/** artifacts, with its secondary-artifacts (each one the same syntax, under its identifier). */
export function parseArtifacts(
  reader: SpecReader,
  root: YAMLMap,
  warnings: string[] = [],
): Artifacts | undefined {
  const node = root.get("artifacts", true);
  if (node === undefined || node === null) return undefined;
  const am = reader.map(node, "artifacts", "give it files:");
  reader.keys(am, [...ARTIFACT_SET_KEYS, "secondary-artifacts", "type"], "artifacts");
  if (am.has("type")) {
    // Early buildspecs (and AWS's SAM pipeline templates still) say `type: zip`; CodeBuild ignores it.
    warnings.push(
      `${reader.file}:${reader.lines["artifacts.type"]}: artifacts.type is deprecated and ignored: the project's artifacts packaging decides whether artifacts are zipped (Artifacts.Packaging: ZIP in the stack; CodePipeline always zips); remove it`,
    );
  }
  // CodeBuild requires artifacts.files even when only secondary artifacts are wanted.
  const primary = parseArtifactSet(reader, am, "artifacts");
  const secondary: ArtifactSet[] = [];
  const secondaryNode = am.get("secondary-artifacts", true);
  if (secondaryNode !== undefined && secondaryNode !== null) {
    const sm = reader.map(
      secondaryNode,
      "artifacts.secondary-artifacts",
      "give each artifact identifier its files:",
    );
    for (const [identifier, value, keyNode] of reader.entries(sm, "artifacts.secondary-artifacts")) {
      const where = `artifacts.secondary-artifacts.${identifier}`;
      const set = reader.map(value ?? keyNode, where, "give it files:");
      reader.keys(set, ARTIFACT_SET_KEYS, where);
      secondary.push({ identifier, ...parseArtifactSet(reader, set, where) });
    }
  }
  return { ...primary, secondary };
}

function reportFormat(reader: SpecReader, node: unknown, where: string): ReportFormat {
  const raw = reader.scalar(node, where);
  if (raw === undefined) return "JUNITXML";
  const all: readonly string[] = [...TEST_REPORT_FORMATS, ...COVERAGE_REPORT_FORMATS];
  const format = raw.toUpperCase(); // CodeBuild: "This value is not case sensitive"
  if (!all.includes(format))
    reader.fail(node, `${where} '${raw}' is not a report format`, `use one of: ${all.join(", ")}`);
  return format as ReportFormat;
}

/** reports: report groups (name or ARN) with their files and format (JUNITXML by default). */
export function parseReports(reader: SpecReader, root: YAMLMap): ReportGroup[] {
  const node = root.get("reports", true);
  if (node === undefined || node === null) return [];
  const groups = reader.entries(reader.map(node, "reports", "give each report group its files:"), "reports");
  if (groups.length > MAX_REPORT_GROUPS) {
    reader.fail(
      node,
      `reports has ${groups.length} report groups; a project can have at most ${MAX_REPORT_GROUPS}`,
      "merge report groups",
    );
  }
  return groups.map(([name, value, keyNode]) => {
    const where = `reports.${name}`;
    const rm = reader.map(value ?? keyNode, where, "give it files:");
    reader.keys(rm, REPORT_KEYS, where);
    const files = reader.stringList(rm.get("files", true), `${where}.files`);
    if (files.length === 0)
      reader.fail(rm, `${where} without files`, "list the report files, e.g. - 'TEST-*.xml'");
    return {
      name,
      files,
      baseDirectory: reader.scalar(rm.get("base-directory", true), `${where}.base-directory`),
      discardPaths: reader.yesNo(rm.get("discard-paths", true), `${where}.discard-paths`) ?? false,
      fileFormat: reportFormat(reader, rm.get("file-format", true), `${where}.file-format`),
    };
  });
}

/** cache: paths, and the S3 cache's key, fallback-keys (prefix matches) and action. */
export function parseCache(reader: SpecReader, root: YAMLMap, warnings: string[]): Cache | undefined {
  const node = root.get("cache", true);
  if (node === undefined || node === null) return undefined;
  const cm = reader.map(node, "cache", "give it paths:");
  reader.keys(cm, CACHE_KEYS, "cache");
  const paths = reader.stringList(cm.get("paths", true), "cache.paths");
  if (paths.length === 0)
    reader.fail(
      cm,
      "cache without paths",
      "list the folders to keep between builds, e.g. - '/root/.cache/**/*'",
    );
  const fallbackKeys = reader.stringList(cm.get("fallback-keys", true), "cache.fallback-keys");
  if (fallbackKeys.length > MAX_FALLBACK_KEYS) {
    reader.fail(
      cm.get("fallback-keys", true),
      `cache.fallback-keys has ${fallbackKeys.length} keys; CodeBuild takes at most ${MAX_FALLBACK_KEYS}`,
      "keep the five most useful prefixes",
    );
  }
  const key = reader.scalar(cm.get("key", true), "cache.key");
  if (fallbackKeys.length > 0 && key === undefined) {
    warnings.push(
      `${reader.file}:${reader.lines["cache.fallback-keys"]}: cache.fallback-keys is ignored without cache.key (as in CodeBuild)`,
    );
  }
  const action = reader.scalar(cm.get("action", true), "cache.action");
  if (action !== undefined && action !== "restore" && action !== "save") {
    reader.fail(
      cm.get("action", true),
      `cache.action must be restore or save, not '${action}'`,
      "use restore, save, or leave it out for both",
    );
  }
  return { paths, key, fallbackKeys, action: action as Cache["action"] };
}
