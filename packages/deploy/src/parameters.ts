/**
 * Parameter values for a stack, from four sources in order of precedence:
 * --parameter (CLI) > image manifest (Metadata.Prebake.ImageParameters) > prebake.config.yaml > template Default.
 * Every value is checked against the template's constraints before any API call, so a bad value
 * is one line naming where it came from, not a failed change set.
 */
import { ConfigError, parseKeyValueOptions } from "@prebake/core";
import type { ParsedTemplate, TemplateParameter } from "./template.ts";

export interface ParameterSource {
  /** Where the values came from, for messages: "--parameter", "prebake.config.yaml: stacks.ci.parameters". */
  label: (key: string) => string;
  values: Record<string, string>;
}

export interface ResolvedParameter {
  key: string;
  value: string;
  /** Where the value came from (the template default is "default"). */
  from: string;
  noEcho: boolean;
}

/** Parse repeatable `--parameter Key=Value` options; the value may contain '='. */
export function parseParameterOptions(options: string[]): Record<string, string> {
  return parseKeyValueOptions(options, "--parameter", "Key=Value, e.g. --parameter ErlangVersion=27.1");
}

function defaultAsString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(",");
  return String(value);
}

/** Why a value breaks the parameter's constraints, or undefined when it is fine. */
export function checkParameterValue(def: TemplateParameter, value: string): string | undefined {
  const type = def.Type ?? "String";
  const hint = def.ConstraintDescription ? ` (${def.ConstraintDescription})` : "";
  if (def.AllowedValues && !def.AllowedValues.map(String).includes(value)) {
    return `'${value}' is not one of the allowed values: ${def.AllowedValues.map(String).join(", ")}${hint}`;
  }
  if (type === "Number" || type === "List<Number>") {
    for (const part of type === "Number" ? [value] : value.split(",")) {
      const n = Number(part);
      if (part.trim() === "" || Number.isNaN(n)) return `'${part}' is not a number`;
      if (def.MinValue !== undefined && n < Number(def.MinValue))
        return `${n} is less than MinValue ${def.MinValue}${hint}`;
      if (def.MaxValue !== undefined && n > Number(def.MaxValue))
        return `${n} is more than MaxValue ${def.MaxValue}${hint}`;
    }
  }
  if (def.AllowedPattern !== undefined) {
    // CloudFormation matches the pattern against the whole value.
    const pattern = new RegExp(`^(?:${def.AllowedPattern})$`, "s");
    if (!pattern.test(value)) return `'${value}' does not match AllowedPattern ${def.AllowedPattern}${hint}`;
  }
  if (def.MinLength !== undefined && value.length < Number(def.MinLength))
    return `'${value}' is shorter than MinLength ${def.MinLength}${hint}`;
  if (def.MaxLength !== undefined && value.length > Number(def.MaxLength))
    return `'${value}' is longer than MaxLength ${def.MaxLength}${hint}`;
  return undefined;
}

/**
 * Resolve every template parameter. `sources` are given highest precedence first.
 * Unknown keys in any source and parameters left without a value are ConfigErrors.
 */
export function resolveParameters(
  template: ParsedTemplate,
  templateWhere: string,
  sources: ParameterSource[],
  fixForMissing: (key: string) => string,
): ResolvedParameter[] {
  const defs = template.Parameters ?? {};
  const known = Object.keys(defs);
  for (const source of sources) {
    for (const key of Object.keys(source.values)) {
      if (!(key in defs)) {
        throw new ConfigError(`unknown parameter '${key}'`, {
          where: source.label(key),
          fix: known.length
            ? `the template's parameters are: ${known.join(", ")}`
            : "the template declares no parameters; remove it",
        });
      }
    }
  }
  const resolved: ResolvedParameter[] = [];
  for (const [key, def] of Object.entries(defs)) {
    const source = sources.find((s) => key in s.values);
    const value = source ? source.values[key]! : defaultAsString(def.Default);
    const from = source ? source.label(key) : `${templateWhere}: Parameters.${key}.Default`;
    if (value === undefined) {
      throw new ConfigError(`parameter '${key}' has no value and no default`, {
        where: `${templateWhere}: Parameters.${key}`,
        fix: fixForMissing(key),
      });
    }
    const problem = checkParameterValue(def, value);
    if (problem) {
      throw new ConfigError(`parameter ${key}: ${problem}`, {
        where: from,
        fix: "use a value the template allows",
      });
    }
    const noEcho = def.NoEcho === true || def.NoEcho === "true";
    resolved.push({ key, value, from: source ? from : "default", noEcho });
  }
  return resolved;
}
