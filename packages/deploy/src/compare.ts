/**
 * Is what we would send equal to what is deployed? Template body (by meaning: short and long
 * intrinsic forms, key order and formatting do not count), every parameter value, the tags, and
 * the capabilities. Equal means deploy skips without creating a change set.
 */
import { parseTemplate } from "./template.ts";

export interface DesiredState {
  templateBody: string;
  parameters: { key: string; value: string; noEcho: boolean }[];
  tags: Record<string, string>;
  capabilities: string[];
}

export interface DeployedState {
  templateBody: string;
  parameters: { ParameterKey?: string | undefined; ParameterValue?: string | undefined }[];
  tags: { Key?: string | undefined; Value?: string | undefined }[];
  /** undefined when the service does not report them (moto never does). */
  capabilities: string[] | undefined;
}

/** JSON with sorted keys: a canonical form for deep equality. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function sameTemplate(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return canonicalJson(parseTemplate(a, "deployed")) === canonicalJson(parseTemplate(b, "local"));
  } catch {
    return false;
  }
}

/** The differences between desired and deployed, as short human phrases; empty means equal. */
export function compareStacks(desired: DesiredState, deployed: DeployedState): string[] {
  const diffs: string[] = [];
  if (!sameTemplate(deployed.templateBody, desired.templateBody)) diffs.push("template body differs");

  const deployedParams = new Map(
    deployed.parameters.map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]),
  );
  for (const p of desired.parameters) {
    const current = deployedParams.get(p.key);
    if (current === undefined) diffs.push(`parameter ${p.key} is new`);
    else if (p.noEcho) {
      // A NoEcho value comes back as ****: it cannot be compared, so it counts as changed.
      if (current !== p.value) diffs.push(`parameter ${p.key} is NoEcho and cannot be compared`);
    } else if (current !== p.value) diffs.push(`parameter ${p.key}: '${current}' -> '${p.value}'`);
    deployedParams.delete(p.key);
  }
  for (const key of deployedParams.keys()) diffs.push(`parameter ${key} is removed`);

  const deployedTags = new Map(deployed.tags.map((t) => [t.Key ?? "", t.Value ?? ""]));
  for (const [key, value] of Object.entries(desired.tags)) {
    const current = deployedTags.get(key);
    if (current === undefined) diffs.push(`tag ${key} is new`);
    else if (current !== value) diffs.push(`tag ${key}: '${current}' -> '${value}'`);
    deployedTags.delete(key);
  }
  for (const key of deployedTags.keys()) diffs.push(`tag ${key} is removed`);

  // Capabilities are an acknowledgement. A deployed stack whose template equals ours already had
  // every capability it needs acknowledged; only a reported set that lacks one counts.
  if (deployed.capabilities && deployed.capabilities.length > 0) {
    const missing = desired.capabilities.filter((c) => !deployed.capabilities!.includes(c));
    if (missing.length) diffs.push(`capabilities to acknowledge: ${missing.join(", ")}`);
  }
  return diffs;
}
