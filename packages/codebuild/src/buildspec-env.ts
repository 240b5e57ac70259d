import { isMap, isSeq, type YAMLMap } from "yaml";
import { BATCH_KINDS, type Batch, type Buildspec, type Env } from "./buildspec-model.ts";
import type { SpecReader } from "./spec-reader.ts";

const ENV_KEYS = [
  "shell",
  "variables",
  "parameter-store",
  "exported-variables",
  "secrets-manager",
  "git-credential-helper",
];
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Linux shell tags of env.shell (powershell.exe and cmd.exe are Windows images'). */
const LINUX_SHELLS = ["bash", "/bin/sh", "sh"];

export function emptyEnv(): Env {
  return {
    shell: undefined,
    variables: {},
    parameterStore: {},
    secretsManager: {},
    exportedVariables: [],
    gitCredentialHelper: undefined,
  };
}

/** Version 0.1's environment_variables: plaintext, what 0.2 calls env.variables. */
function parseV01Env(reader: SpecReader, node: unknown): Env {
  const env = reader.map(node, "environment_variables", "give it plaintext: with NAME: value lines");
  reader.keys(env, ["plaintext"], "environment_variables");
  return {
    ...emptyEnv(),
    variables: reader.stringMap(env.get("plaintext", true), "environment_variables.plaintext"),
  };
}

export function parseEnv(reader: SpecReader, root: YAMLMap, version = "0.2"): Env {
  const v01 = version === "0.1" ? root.get("environment_variables", true) : undefined;
  const node = root.get("env", true);
  if (v01 !== undefined && v01 !== null) {
    if (node !== undefined && node !== null)
      reader.failAt("env", "env and environment_variables both", "keep one: env (version 0.2's name)");
    return parseV01Env(reader, v01);
  }
  if (node === undefined || node === null) return emptyEnv();
  const env = reader.map(node, "env");
  reader.keys(env, ENV_KEYS, "env");
  const shell = reader.scalar(env.get("shell", true), "env.shell");
  if (shell !== undefined && !LINUX_SHELLS.includes(shell)) {
    reader.fail(
      env.get("shell", true),
      `env.shell '${shell}' is not supported on Linux images`,
      "use bash or /bin/sh",
    );
  }
  const exportedNode = env.get("exported-variables", true);
  const exportedVariables = reader.stringList(exportedNode, "env.exported-variables");
  exportedVariables.forEach((name, i) => {
    // The names are expanded in the build's shell at the end: only plain identifiers.
    if (!VARIABLE_NAME.test(name)) {
      reader.fail(
        (exportedNode as unknown as { items: unknown[] }).items[i],
        `env.exported-variables: '${name}' is not a variable name`,
        "use letters, digits and _",
      );
    }
  });
  return {
    shell,
    variables: reader.stringMap(env.get("variables", true), "env.variables"),
    parameterStore: reader.stringMap(env.get("parameter-store", true), "env.parameter-store"),
    secretsManager: reader.stringMap(env.get("secrets-manager", true), "env.secrets-manager"),
    exportedVariables,
    gitCredentialHelper: reader.yesNo(env.get("git-credential-helper", true), "env.git-credential-helper"),
  };
}

export function parseProxy(reader: SpecReader, root: YAMLMap): Buildspec["proxy"] {
  const node = root.get("proxy", true);
  if (node === undefined || node === null) return undefined;
  const proxy = reader.map(node, "proxy");
  reader.keys(proxy, ["upload-artifacts", "logs"], "proxy");
  return {
    uploadArtifacts: reader.yesNo(proxy.get("upload-artifacts", true), "proxy.upload-artifacts"),
    logs: reader.yesNo(proxy.get("logs", true), "proxy.logs"),
  };
}

const TASK_KEYS = ["identifier", "buildspec", "debug-session", "env", "ignore-failure"];
const TASK_ENV_KEYS = ["compute-type", "fleet", "image", "privileged-mode", "type", "variables"];

/** A build-list or build-graph task: an identifier, and overrides of the build's settings. */
function checkBatchTask(
  reader: SpecReader,
  node: unknown,
  where: string,
  graph: boolean,
): string | undefined {
  const task = reader.map(node, where, "write each task as a mapping with an identifier");
  reader.keys(task, graph ? [...TASK_KEYS, "depend-on"] : TASK_KEYS, where);
  if (!reader.scalar(task.get("identifier", true), `${where}.identifier`)) {
    reader.fail(node, `${where} has no identifier`, "give every task an identifier");
  }
  const env = task.get("env", true);
  if (env !== undefined && env !== null)
    reader.keys(reader.map(env, `${where}.env`), TASK_ENV_KEYS, `${where}.env`);
  if (graph) reader.stringList(task.get("depend-on", true), `${where}.depend-on`);
  return reader.scalar(task.get("buildspec", true), `${where}.buildspec`);
}

/**
 * batch (StartBuildBatch): fast-fail and one kind of batch. build-list and build-graph tasks are
 * checked key by key; build-matrix and build-fanout at their top level.
 */
export function parseBatch(reader: SpecReader, root: YAMLMap): Batch | undefined {
  const node = root.get("batch", true);
  if (node === undefined || node === null) return undefined;
  const batch = reader.map(node, "batch");
  const keys = reader.keys(batch, ["fast-fail", ...BATCH_KINDS], "batch");
  const kinds = BATCH_KINDS.filter((k) => keys.includes(k));
  if (kinds.length > 1)
    reader.fail(
      node,
      `batch has ${kinds.join(" and ")}`,
      "a batch is one of build-list, build-matrix, build-graph, build-fanout",
    );
  const kind = kinds[0];
  const fastFail = reader.yesNo(batch.get("fast-fail", true), "batch.fast-fail");
  const taskBuildspecs = new Set<string>();
  if (kind === "build-list" || kind === "build-graph") {
    const tasks = batch.get(kind, true);
    if (!isSeq(tasks))
      reader.fail(tasks, `batch.${kind} must be a list of tasks`, "write one `- identifier: ...` per task");
    tasks.items.forEach((t, i) => {
      const own = reader.section(
        () => checkBatchTask(reader, t, `batch.${kind}[${i}]`, kind === "build-graph"),
        undefined,
      );
      if (own) taskBuildspecs.add(own);
    });
  }
  if (kind === "build-matrix" || kind === "build-fanout") {
    const body = batch.get(kind, true);
    if (!isMap(body))
      reader.fail(body, `batch.${kind} must be a mapping`, "see the batch build buildspec reference");
    const allowed = kind === "build-matrix" ? ["static", "dynamic"] : ["parallelism", "ignore-failure"];
    reader.keys(body as YAMLMap, allowed, `batch.${kind}`);
  }
  return { fastFail, kind, ...(taskBuildspecs.size > 0 ? { taskBuildspecs: [...taskBuildspecs] } : {}) };
}
