import { readFileSync } from "node:fs";
import { ConfigError, firstLine } from "@prebake/core";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";

/**
 * Buildspec version 0.2: parsed with line numbers, validated strictly (an unknown key is an
 * error, as a typo in a buildspec otherwise silently does nothing), and reduced to the model the
 * runners execute. Warnings name what CodeBuild would do differently from what the file seems to say.
 */
export const PHASES = ["install", "pre_build", "build", "post_build"] as const;
export type PhaseName = (typeof PHASES)[number];

export interface Phase {
  commands: string[];
  finally: string[];
  onFailure: "ABORT" | "CONTINUE";
  runtimeVersions: Record<string, string>;
}

export interface Artifacts {
  files: string[];
  baseDirectory: string | undefined;
  discardPaths: boolean;
  name: string | undefined;
}

export interface Buildspec {
  file: string;
  version: string;
  env: {
    shell: string | undefined;
    variables: Record<string, string>;
    parameterStore: Record<string, string>;
    secretsManager: Record<string, string>;
    exportedVariables: string[];
  };
  phases: Partial<Record<PhaseName, Phase>>;
  artifacts: Artifacts | undefined;
  warnings: string[];
  /** Sections CodeBuild acts on that a local run does not (run-as, reports, cache, ...), as `where` strings. */
  notRunLocally: string[];
}

const TOP_KEYS = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"];
const ENV_KEYS = [
  "shell",
  "variables",
  "parameter-store",
  "exported-variables",
  "secrets-manager",
  "git-credential-helper",
];
/** Keys accepted as CodeBuild defines them, but acted on by CodeBuild's service, not by a local run. */
const SERVICE_ONLY_TOP = ["run-as", "proxy", "batch", "reports", "cache"];
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PHASE_KEYS = ["run-as", "on-failure", "runtime-versions", "commands", "finally"];
const ARTIFACT_KEYS = [
  "files",
  "name",
  "discard-paths",
  "base-directory",
  "exclude-paths",
  "enable-symlinks",
  "s3-prefix",
  "secondary-artifacts",
];

export function parseBuildspec(text: string, file: string): Buildspec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    throw new ConfigError(`not valid YAML: ${firstLine(err)}`, {
      where: line ? `${file}:${line}` : file,
      fix: "correct the YAML syntax",
    });
  }
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (node: Node | null | undefined, message: string, fix: string): never => {
    throw new ConfigError(message, { where: `${file}:${lineOf(node)}`, fix });
  };

  const root = doc.contents;
  if (!isMap(root))
    fail(root, "a buildspec is a mapping with version and phases", "start with `version: 0.2`");
  const rootMap = root as YAMLMap;

  const checkKeys = (map: YAMLMap, allowed: string[], where: string) => {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (!allowed.includes(key)) {
        fail(pair.key as Node, `unknown key '${key}' in ${where}`, `use one of: ${allowed.join(", ")}`);
      }
    }
  };
  const stringList = (node: unknown, where: string): string[] => {
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) fail(node as Node, `${where} must be a list`, "write one `- item` per line");
    return (node as { items: unknown[] }).items.map((item) => {
      if (!isScalar(item)) fail(item as Node, `${where} holds something that is not a string`, "quote it");
      return String((item as { value: unknown }).value);
    });
  };
  const stringMap = (node: unknown, where: string): Record<string, string> => {
    if (node === undefined || node === null) return {};
    if (!isMap(node)) fail(node as Node, `${where} must be a mapping`, "write `NAME: value` lines");
    const out: Record<string, string> = {};
    for (const pair of (node as YAMLMap).items) {
      out[String((pair.key as { value: unknown }).value)] = String(
        isScalar(pair.value) ? pair.value.value : "",
      );
    }
    return out;
  };

  checkKeys(rootMap, TOP_KEYS, "the buildspec");
  const versionNode = rootMap.get("version", true);
  const version =
    versionNode === undefined ? undefined : String(isScalar(versionNode) ? versionNode.value : "");
  if (!version) fail(rootMap, "missing version", "add `version: 0.2` at the top");
  if (version !== "0.2" && version !== "0.1") {
    fail(versionNode as Node, `unsupported version '${version}'`, "use version: 0.2");
  }
  const warnings: string[] = [];
  if (version === "0.1") {
    warnings.push(
      `${file}:${lineOf(versionNode as Node)}: version 0.1 runs every command in its own shell (cd and export do not carry over); use 0.2`,
    );
  }

  const envNode = rootMap.get("env", true) as unknown as YAMLMap | undefined;
  if (envNode !== undefined && !isMap(envNode))
    fail(envNode, "env must be a mapping", "see the buildspec reference");
  if (envNode) checkKeys(envNode, ENV_KEYS, "env");
  const env = {
    shell: envNode?.get("shell") === undefined ? undefined : String(envNode.get("shell")),
    variables: stringMap(envNode?.get("variables", true), "env.variables"),
    parameterStore: stringMap(envNode?.get("parameter-store", true), "env.parameter-store"),
    secretsManager: stringMap(envNode?.get("secrets-manager", true), "env.secrets-manager"),
    exportedVariables: stringList(envNode?.get("exported-variables", true), "env.exported-variables"),
  };
  env.exportedVariables.forEach((name, i) => {
    if (!VARIABLE_NAME.test(name)) {
      const seq = envNode?.get("exported-variables", true) as unknown as { items: Node[] };
      fail(
        seq.items[i],
        `env.exported-variables: '${name}' is not a variable name`,
        "use letters, digits and _",
      );
    }
  });
  if (env.shell && !["bash", "/bin/sh", "sh"].includes(env.shell)) {
    fail(
      envNode?.get("shell", true) as Node,
      `env.shell '${env.shell}' is not supported on Linux images`,
      "use bash or /bin/sh",
    );
  }

  const phasesNode = rootMap.get("phases", true);
  if (!isMap(phasesNode))
    fail((phasesNode as Node) ?? rootMap, "missing phases", "add phases: with at least a build phase");
  const phases: Partial<Record<PhaseName, Phase>> = {};
  for (const pair of (phasesNode as unknown as YAMLMap).items) {
    const name = String((pair.key as { value: unknown }).value);
    if (!(PHASES as readonly string[]).includes(name)) {
      fail(pair.key as Node, `unknown phase '${name}'`, `use one of: ${PHASES.join(", ")}`);
    }
    const phaseNode = pair.value;
    if (!isMap(phaseNode))
      fail((phaseNode as Node) ?? (pair.key as Node), `phase ${name} must be a mapping`, "give it commands:");
    const pm = phaseNode as YAMLMap;
    checkKeys(pm, PHASE_KEYS, `phases.${name}`);
    const rawOnFailure = pm.get("on-failure") === undefined ? "ABORT" : String(pm.get("on-failure"));
    if (rawOnFailure !== "ABORT" && rawOnFailure !== "CONTINUE") {
      fail(
        pm.get("on-failure", true) as Node,
        `on-failure must be ABORT or CONTINUE, not '${rawOnFailure}'`,
        "use ABORT or CONTINUE",
      );
    }
    const onFailure = rawOnFailure as Phase["onFailure"];
    const finallyNode = pm.get("finally", true);
    const runtimeVersions = stringMap(pm.get("runtime-versions", true), `phases.${name}.runtime-versions`);
    if (Object.keys(runtimeVersions).length > 0 && name !== "install") {
      fail(
        pm.get("runtime-versions", true) as Node,
        "runtime-versions belongs to the install phase",
        "move it under phases.install",
      );
    }
    phases[name as PhaseName] = {
      commands: stringList(pm.get("commands", true), `phases.${name}.commands`),
      finally: stringList(finallyNode, `phases.${name}.finally`),
      onFailure,
      runtimeVersions,
    };
  }
  if (Object.keys(phases).length === 0) fail(phasesNode as Node, "no phases", "add at least a build phase");

  const artifactsNode = rootMap.get("artifacts", true);
  let artifacts: Artifacts | undefined;
  if (artifactsNode !== undefined && artifactsNode !== null) {
    if (!isMap(artifactsNode)) fail(artifactsNode as Node, "artifacts must be a mapping", "give it files:");
    const am = artifactsNode as unknown as YAMLMap;
    checkKeys(am, ARTIFACT_KEYS, "artifacts");
    const files = stringList(am.get("files", true), "artifacts.files");
    if (files.length === 0) fail(am, "artifacts without files", "list the files to keep, e.g. - '**/*'");
    const discard = am.get("discard-paths");
    artifacts = {
      files,
      baseDirectory: am.get("base-directory") === undefined ? undefined : String(am.get("base-directory")),
      discardPaths: discard === true || discard === "yes",
      name: am.get("name") === undefined ? undefined : String(am.get("name")),
    };
  }
  const notRunLocally = SERVICE_ONLY_TOP.filter((k) => rootMap.has(k));
  if (envNode?.has("git-credential-helper")) notRunLocally.push("env.git-credential-helper");
  for (const [name, node] of (phasesNode as unknown as YAMLMap).items.map(
    (p) => [String((p.key as { value: unknown }).value), p.value] as const,
  )) {
    if ((node as YAMLMap).has("run-as")) notRunLocally.push(`phases.${name}.run-as`);
  }
  return { file, version: version!, env, phases, artifacts, warnings, notRunLocally };
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

/**
 * CodeBuild only honours runtime-versions on images that carry its runtimes file; on any other
 * custom image it skips them with a warning. Say so before the build instead of after.
 */
export function runtimeVersionWarnings(spec: Buildspec, imageHasRuntimesFile: boolean): string[] {
  const rv = spec.phases.install?.runtimeVersions ?? {};
  if (imageHasRuntimesFile || Object.keys(rv).length === 0) return [];
  return [
    `${spec.file}: runtime-versions (${Object.entries(rv)
      .map(([k, v]) => `${k}: ${v}`)
      .join(
        ", ",
      )}) is skipped on this image: it has no CodeBuild runtimes file; the toolchain must come from the image (activate it in install)`,
  ];
}
