/**
 * The diff shown before a change set runs: one line per resource (Add/Modify/Remove, logical id,
 * type, replacement) and, under a Modify, the properties that change. Property detail comes from
 * the change set when the service gives it (AWS does; moto does not); otherwise from comparing
 * the deployed template with the new one, which says what changes but not whether it replaces.
 */
import type { Change } from "@aws-sdk/client-cloudformation";
import type { Template } from "@prebake/stack";
import { canonicalJson } from "./can-skip.ts";

export interface PropertyChange {
  name: string;
  before?: string;
  after?: string;
  requiresRecreation?: string;
}

export interface ResourceChangeRow {
  action: string;
  logicalId: string;
  type: string;
  /** "True" | "False" | "Conditional", when the service says. */
  replacement?: string;
  properties: PropertyChange[];
  /** Where the property detail came from. */
  detailFrom: "change set" | "template" | "none";
}

const short = (value: unknown): string => {
  const text = typeof value === "string" ? value : canonicalJson(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Top-level differences of a resource between two templates (properties, plus DependsOn etc.). */
export function templatePropertyChanges(
  before: Template | undefined,
  after: Template,
  logicalId: string,
): PropertyChange[] {
  const old = before?.Resources?.[logicalId];
  const now = after.Resources?.[logicalId];
  if (!old || !now) return [];
  const changes: PropertyChange[] = [];
  const oldProps = old.Properties ?? {};
  const newProps = now.Properties ?? {};
  for (const name of [...new Set([...Object.keys(oldProps), ...Object.keys(newProps)])].sort()) {
    const a = oldProps[name];
    const b = newProps[name];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    changes.push({
      name,
      ...(a === undefined ? {} : { before: short(a) }),
      ...(b === undefined ? {} : { after: short(b) }),
    });
  }
  for (const key of [
    "DependsOn",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Condition",
  ] as const) {
    if (canonicalJson(old[key]) !== canonicalJson(now[key])) changes.push({ name: key });
  }
  return changes;
}

export function changeRows(
  changes: Change[],
  deployed: Template | undefined,
  next: Template,
): ResourceChangeRow[] {
  const rows: ResourceChangeRow[] = [];
  for (const change of changes) {
    const rc = change.ResourceChange;
    if (!rc) continue;
    const details = rc.Details ?? [];
    let properties: PropertyChange[] = [];
    let detailFrom: ResourceChangeRow["detailFrom"] = "none";
    if (details.length > 0) {
      detailFrom = "change set";
      const seen = new Set<string>();
      for (const d of details) {
        const t = d.Target;
        const name = t?.Path ?? t?.Name ?? t?.Attribute ?? "?";
        if (seen.has(name)) continue;
        seen.add(name);
        properties.push({
          name,
          ...(t?.BeforeValue !== undefined ? { before: short(t.BeforeValue) } : {}),
          ...(t?.AfterValue !== undefined ? { after: short(t.AfterValue) } : {}),
          ...(t?.RequiresRecreation ? { requiresRecreation: t.RequiresRecreation } : {}),
        });
      }
    } else if (rc.Action === "Modify") {
      properties = templatePropertyChanges(deployed, next, rc.LogicalResourceId ?? "");
      if (properties.length) detailFrom = "template";
    }
    rows.push({
      action: rc.Action ?? "?",
      logicalId: rc.LogicalResourceId ?? "?",
      type: rc.ResourceType ?? "?",
      ...(rc.Replacement ? { replacement: rc.Replacement } : {}),
      properties,
      detailFrom,
    });
  }
  return rows;
}

const SIGN: Record<string, string> = { Add: "+", Modify: "~", Remove: "-", Import: "<", Dynamic: "?" };

/** Plain lines: "~ Modify  Logs  AWS::Logs::LogGroup  (replacement: False)" then "    RetentionInDays: 7 -> 14". */
export function formatChangeRows(rows: ResourceChangeRow[]): string[] {
  const idWidth = Math.max(0, ...rows.map((r) => r.logicalId.length));
  const typeWidth = Math.max(0, ...rows.map((r) => r.type.length));
  const lines: string[] = [];
  for (const r of rows) {
    const replacement = r.action === "Modify" && r.replacement ? `  replacement: ${r.replacement}` : "";
    lines.push(
      `${SIGN[r.action] ?? "?"} ${r.action.padEnd(6)}  ${r.logicalId.padEnd(idWidth)}  ${r.type.padEnd(typeWidth)}${replacement}`.trimEnd(),
    );
    for (const p of r.properties) {
      const values =
        p.before !== undefined || p.after !== undefined
          ? `: ${p.before ?? "(none)"} -> ${p.after ?? "(none)"}`
          : "";
      const recreate =
        p.requiresRecreation && p.requiresRecreation !== "Never"
          ? ` [recreation: ${p.requiresRecreation}]`
          : "";
      lines.push(`      ${p.name}${values}${recreate}`);
    }
  }
  return lines;
}
