/**
 * Parameter values for a stack, from four sources in order of precedence:
 * --parameter (CLI) > image manifest (Metadata.Prebake.ImageParameters) > prebake.config.yaml > template Default.
 * Every value is checked against the template's constraints (@prebake/stack's one check) before
 * any API call, so a bad value is one line naming where it came from, not a failed change set.
 */
import { ConfigError, parseKeyValueOptions } from "@prebake/core";
import { isNoEcho, parameterProblem, type Template } from "@prebake/stack";

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

/** A key no source may give: one the template does not declare. */
function refuseUnknownKeys(template: Template, sources: ParameterSource[]): void {
  const known = Object.keys(template.Parameters ?? {});
  for (const source of sources) {
    for (const key of Object.keys(source.values)) {
      if (known.includes(key)) continue;
      throw new ConfigError(`unknown parameter '${key}'`, {
        where: source.label(key),
        fix: known.length
          ? `the template's parameters are: ${known.join(", ")}`
          : "the template declares no parameters; remove it",
      });
    }
  }
}

/**
 * Resolve every template parameter. `sources` are given highest precedence first.
 * Unknown keys in any source and parameters left without a value are ConfigErrors.
 */
export function resolveParameters(
  template: Template,
  templateWhere: string,
  sources: ParameterSource[],
  fixForMissing: (key: string) => string,
): ResolvedParameter[] {
  refuseUnknownKeys(template, sources);
  const resolved: ResolvedParameter[] = [];
  for (const [key, def] of Object.entries(template.Parameters ?? {})) {
    const source = sources.find((s) => key in s.values);
    const value = source ? source.values[key]! : defaultAsString(def.Default);
    const from = source ? source.label(key) : `${templateWhere}: Parameters.${key}.Default`;
    if (value === undefined) {
      throw new ConfigError(`parameter '${key}' has no value and no default`, {
        where: `${templateWhere}: Parameters.${key}`,
        fix: fixForMissing(key),
      });
    }
    const problem = parameterProblem(def, value);
    if (problem)
      throw new ConfigError(`parameter ${key}: ${problem.message}`, { where: from, fix: problem.fix });
    resolved.push({ key, value, from: source ? from : "default", noEcho: isNoEcho(def) });
  }
  return resolved;
}
