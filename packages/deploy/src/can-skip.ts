/**
 * Can the deploy skip? Only when what we would send equals what is deployed: the template body
 * (by meaning: short and long intrinsic forms, key order and formatting do not count), every
 * parameter value, the tags and the capabilities. A template whose values CloudFormation resolves
 * at deploy time (`AWS::SSM::Parameter::Value<...>` parameters, `{{resolve:...}}` dynamic
 * references) is never skipped, as the CDK does: the value it would resolve now cannot be compared
 * with the one the stack got. Pure: the reasons come back as data, and `describeReason` turns each
 * into the phrase deploy prints.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { parseTemplate, type Template } from "@prebake/stack";
import type { PreparedDeploy } from "./prepare.ts";

export interface DesiredState {
  templateBody: string;
  /** The body parsed, when the caller has it (a deploy has): otherwise it is parsed when needed. */
  template?: Template;
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

export type ChangeReason =
  | { kind: "no-stack" }
  | { kind: "forced" }
  | { kind: "template" }
  | { kind: "parameter" | "tag"; key: string; change: "new" | "removed" }
  | { kind: "parameter" | "tag"; key: string; change: "value"; before: string; after: string }
  /** A NoEcho value comes back as ****: it cannot be compared, so it counts as changed. */
  | { kind: "parameter"; key: string; change: "no-echo" }
  | { kind: "capabilities"; missing: string[] }
  /** A value CloudFormation resolves at deploy time: an SSM parameter type or a dynamic reference. */
  | { kind: "resolved-at-deploy"; what: string };

/** What a deploy would send, as canSkip compares it. */
export const desiredStateOf = (p: PreparedDeploy): DesiredState => ({
  templateBody: p.body,
  template: p.template,
  parameters: p.parameters,
  tags: p.tags,
  capabilities: p.capabilities,
});

/** What is deployed, as canSkip compares it. */
export const deployedStateOf = (stack: Stack, templateBody: string): DeployedState => ({
  templateBody,
  parameters: stack.Parameters ?? [],
  tags: stack.Tags ?? [],
  capabilities: stack.Capabilities,
});

export interface SkipDecision {
  skip: boolean;
  /** Why not (empty when skipping). */
  reasons: ChangeReason[];
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

const SSM_PARAMETER_TYPE = /^AWS::SSM::Parameter::Value</;
const DYNAMIC_REFERENCE = /\{\{resolve:([a-z-]+):/g;

/**
 * What in a template CloudFormation resolves at deploy time. Dynamic references are found in the
 * body's text, so one anywhere (a property, an Fn::Sub string, Outputs, Metadata) counts.
 */
export function resolvedAtDeploy(templateBody: string, template?: Template): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const parameters: Record<string, { Type?: unknown }> = parametersOf(templateBody, template);
  for (const [key, p] of Object.entries(parameters)) {
    if (typeof p.Type === "string" && SSM_PARAMETER_TYPE.test(p.Type))
      reasons.push({ kind: "resolved-at-deploy", what: `parameter ${key} (${p.Type})` });
  }
  const services = new Set([...templateBody.matchAll(DYNAMIC_REFERENCE)].map((m) => m[1]));
  for (const service of services)
    reasons.push({ kind: "resolved-at-deploy", what: `dynamic reference {{resolve:${service}:...}}` });
  return reasons;
}

const LIST_PARAMETER_TYPE = /^(CommaDelimitedList|List<.+>)$/;

/** The parameters of a template whose type is a list (CommaDelimitedList, List<...>). */
function listParameters(templateBody: string, template?: Template): Set<string> {
  return new Set(
    Object.entries(parametersOf(templateBody, template))
      .filter(([, p]) => typeof p.Type === "string" && LIST_PARAMETER_TYPE.test(p.Type))
      .map(([key]) => key),
  );
}

/**
 * A template's Parameters, from the parsed form when the caller has it (a deploy parsed it
 * already: parsing it again was a tenth of a no-op's CPU); none for an unreadable body, which
 * differs from the deployed one anyway (sameTemplate).
 */
function parametersOf(templateBody: string, template?: Template): Record<string, { Type?: unknown }> {
  try {
    return (template ?? parseTemplate(templateBody, "local")).Parameters ?? {};
  } catch {
    return {};
  }
}

/**
 * A list parameter's items. The service answers the string it was given ("a,b"); moto answers
 * Python's form of the list it keeps (`['a', 'b']`, and `['']` for ""): the same value either way.
 */
function listItems(value: string): string[] {
  const python = /^\[(.*)\]$/s.exec(value.trim());
  if (python) {
    const items = [...python[1]!.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)];
    return items.map((m) => (m[1] ?? m[2] ?? "").trim());
  }
  return value.split(",").map((item) => item.trim());
}

/** Differences between two key/value lists, desired first; list values are compared by their items. */
function keyedDifferences(
  kind: "parameter" | "tag",
  desired: { key: string; value: string; noEcho?: boolean }[],
  deployed: Map<string, string>,
  isList: (key: string) => boolean = () => false,
): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const left = new Map(deployed);
  for (const { key, value, noEcho } of desired) {
    const current = left.get(key);
    left.delete(key);
    if (current === undefined) reasons.push({ kind, key, change: "new" });
    else if (current === value) continue;
    else if (isList(key) && listItems(current).join(",") === listItems(value).join(",")) continue;
    else if (noEcho && kind === "parameter") reasons.push({ kind, key, change: "no-echo" });
    else reasons.push({ kind, key, change: "value", before: current, after: value });
  }
  for (const key of left.keys()) reasons.push({ kind, key, change: "removed" });
  return reasons;
}

/** Everything that differs between desired and deployed; empty means equal. */
export function stateDifferences(desired: DesiredState, deployed: DeployedState): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  if (!sameTemplate(deployed.templateBody, desired.templateBody)) reasons.push({ kind: "template" });
  reasons.push(...resolvedAtDeploy(desired.templateBody, desired.template));
  const params = new Map(deployed.parameters.map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]));
  // The template is parsed for its list parameters only when a value differs: a no-op compares
  // equal strings and parses nothing.
  let lists: Set<string> | undefined;
  const isList = (key: string) => {
    lists ??= listParameters(desired.templateBody, desired.template);
    return lists.has(key);
  };
  reasons.push(...keyedDifferences("parameter", desired.parameters, params, isList));
  const tags = new Map(deployed.tags.map((t) => [t.Key ?? "", t.Value ?? ""]));
  const desiredTags = Object.entries(desired.tags).map(([key, value]) => ({ key, value }));
  reasons.push(...keyedDifferences("tag", desiredTags, tags));
  // Capabilities are an acknowledgement. A deployed stack whose template equals ours already had
  // every capability it needs acknowledged; only a reported set that lacks one counts.
  const reported = deployed.capabilities ?? [];
  if (reported.length > 0) {
    const missing = desired.capabilities.filter((c) => !reported.includes(c));
    if (missing.length) reasons.push({ kind: "capabilities", missing });
  }
  return reasons;
}

/** Skip when a stack is deployed and nothing differs (unless forced). */
export function canSkip(
  desired: DesiredState,
  deployed: DeployedState | undefined,
  options: { force?: boolean } = {},
): SkipDecision {
  if (!deployed) return { skip: false, reasons: [{ kind: "no-stack" }] };
  const reasons = stateDifferences(desired, deployed);
  if (reasons.length > 0) return { skip: false, reasons };
  return options.force ? { skip: false, reasons: [{ kind: "forced" }] } : { skip: true, reasons: [] };
}

/** The short phrase for a reason: "parameter V: '1' -> '2'", "tag Team is new". */
export function describeReason(r: ChangeReason): string {
  switch (r.kind) {
    case "no-stack":
      return "the stack does not exist yet";
    case "forced":
      return "(none found; change set forced)";
    case "template":
      return "template body differs";
    case "capabilities":
      return `capabilities to acknowledge: ${r.missing.join(", ")}`;
    case "resolved-at-deploy":
      return `${r.what} is resolved by CloudFormation at deploy time and cannot be compared`;
    default:
      if (r.change === "value") return `${r.kind} ${r.key}: '${r.before}' -> '${r.after}'`;
      if (r.change === "no-echo") return `parameter ${r.key} is NoEcho and cannot be compared`;
      return `${r.kind} ${r.key} is ${r.change}`;
  }
}

/** The differences a deploy result reports: what changed in a deployed stack (not "no stack", "forced"). */
export const reportedDifferences = (reasons: ChangeReason[]) =>
  reasons.filter((r) => r.kind !== "no-stack" && r.kind !== "forced").map(describeReason);
