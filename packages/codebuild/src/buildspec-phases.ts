import { unknownKeyFix } from "@prebake/core";
import { isMap, type YAMLMap } from "yaml";
import { type ActionStep, type Batch, PHASES, type Phase, type PhaseName } from "./buildspec-model.ts";
import type { SpecReader } from "./spec-reader.ts";

const PHASE_KEYS = ["run-as", "on-failure", "runtime-versions", "commands", "finally", "steps"];
/** The keys of a GitHub Actions step in a buildspec (CodeBuild's action runner reference). */
const STEP_KEYS = [
  "id",
  "if",
  "name",
  "uses",
  "run",
  "shell",
  "with",
  "env",
  "continue-on-error",
  "timeout-minutes",
];
/** A Linux user name (or uid), as useradd takes it. */
const USER_NAME = /^[a-z_][a-z0-9_.-]*\$?$|^\d+$/i;

/** The Linux user of run-as (buildspec-wide or per phase). */
export function readRunAs(reader: SpecReader, node: unknown, where: string): string | undefined {
  const user = reader.scalar(node, where);
  if (user !== undefined && !USER_NAME.test(user)) {
    reader.fail(
      node,
      `${where} '${user}' is not a Linux user name`,
      "name a user of the image, e.g. builder",
    );
  }
  return user;
}

/**
 * on-failure: ABORT, CONTINUE, or RETRY with an optional count (0-100) and error-message regex:
 * RETRY, RETRY-<count>, RETRY-<regex>, RETRY-<count>-<regex> (CodeBuild also writes `Retry-...`).
 */
export function parseOnFailure(
  reader: SpecReader,
  node: unknown,
  where: string,
): Pick<Phase, "onFailure" | "retry"> {
  const raw = reader.scalar(node, where) ?? "ABORT";
  if (raw === "ABORT" || raw === "CONTINUE") return { onFailure: raw };
  const retry = /^retry(?:-(.*))?$/is.exec(raw);
  if (!retry) {
    reader.fail(
      node,
      `${where} must be ABORT, CONTINUE or RETRY, not '${raw}'`,
      "use ABORT, CONTINUE or RETRY",
    );
  }
  const rest = retry?.[1] ?? "";
  const counted = /^(\d+)(?:-(.*))?$/s.exec(rest);
  const count = counted ? Number(counted[1]) : 3;
  const pattern = (counted ? counted[2] : rest) || ".*";
  if (count > 100) reader.fail(node, `${where}: RETRY count ${count} is over 100`, "retry 0 to 100 times");
  try {
    new RegExp(pattern);
  } catch {
    reader.fail(
      node,
      `${where}: '${pattern}' is not a regular expression`,
      "escape it, or drop it to retry on any error",
    );
  }
  return { onFailure: "RETRY", retry: { count, pattern } };
}

function parseStep(reader: SpecReader, node: unknown, where: string): ActionStep {
  const step = reader.map(node, where, "write each step as a mapping with uses: or run:");
  reader.keys(step, STEP_KEYS, where);
  const uses = reader.scalar(step.get("uses", true), `${where}.uses`);
  const run = reader.scalar(step.get("run", true), `${where}.run`);
  if ((uses === undefined) === (run === undefined)) {
    reader.fail(
      node,
      `${where} needs exactly one of uses or run`,
      "an action step has uses:, a command step has run:",
    );
  }
  for (const key of ["with", "env"]) {
    if (step.has(key)) reader.stringMap(step.get(key, true), `${where}.${key}`);
  }
  return { name: reader.scalar(step.get("name", true), `${where}.name`), uses, run };
}

/** GitHub Actions steps: a list of steps; a phase has commands or steps, never both. */
function parseSteps(reader: SpecReader, phase: YAMLMap, where: string): ActionStep[] | undefined {
  const node = phase.get("steps", true);
  if (node === undefined) return undefined;
  if (phase.has("commands")) {
    reader.failAt(
      `${where}.steps`,
      `${where} has both commands and steps`,
      "a phase runs either commands or GitHub Actions steps",
    );
  }
  const items = (node as { items?: unknown[] }).items;
  if (!Array.isArray(items) || items.length === 0) {
    reader.fail(
      node,
      `${where}.steps must be a list of steps`,
      "write one `- uses: ...` or `- run: ...` per step",
    );
  }
  return items.map((item, i) => parseStep(reader, item, `${where}.steps[${i}]`));
}

function parsePhase(reader: SpecReader, name: string, node: unknown): Phase {
  const where = `phases.${name}`;
  const pm = reader.map(node, `phase ${name}`, "give it commands:");
  reader.keys(pm, PHASE_KEYS, where);
  const runtimeVersions = reader.stringMap(pm.get("runtime-versions", true), `${where}.runtime-versions`);
  if (Object.keys(runtimeVersions).length > 0 && name !== "install") {
    reader.fail(
      pm.get("runtime-versions", true),
      "runtime-versions belongs to the install phase",
      "move it under phases.install",
    );
  }
  return {
    commands: reader.stringList(pm.get("commands", true), `${where}.commands`),
    finally: reader.stringList(pm.get("finally", true), `${where}.finally`),
    ...parseOnFailure(reader, pm.get("on-failure", true), `${where}.on-failure`),
    runtimeVersions,
    runAs: readRunAs(reader, pm.get("run-as", true), `${where}.run-as`),
    steps: parseSteps(reader, pm, where),
  };
}

/**
 * phases: each phase read on its own, so the problems of several phases are all reported. A batch
 * buildspec may have no phases: its tasks each name the buildspec they run.
 */
export function parsePhases(
  reader: SpecReader,
  root: YAMLMap,
  batch?: Batch,
): Partial<Record<PhaseName, Phase>> {
  const node = root.get("phases", true);
  if ((node === undefined || node === null) && batch?.kind) return {};
  if (!isMap(node)) reader.fail(node ?? root, "missing phases", "add phases: with at least a build phase");
  const phases: Partial<Record<PhaseName, Phase>> = {};
  for (const [name, value, keyNode] of reader.entries(node as YAMLMap, "phases")) {
    if (!(PHASES as readonly string[]).includes(name)) {
      reader.note(keyNode, `unknown phase '${name}'`, unknownKeyFix(name, PHASES));
      continue;
    }
    const phase = reader.section(() => parsePhase(reader, name, value ?? keyNode), undefined);
    if (phase) phases[name as PhaseName] = phase;
  }
  if ((node as YAMLMap).items.length === 0) reader.fail(node, "no phases", "add at least a build phase");
  return phases;
}
