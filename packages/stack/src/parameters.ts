/**
 * Template parameter constraints, checked the way CloudFormation will check them, before any API
 * call: at render time for defaults, at deploy time for every resolved value. A value such as
 * `27.1; rm -rf /` is refused with the field it came from. A NoEcho value is never quoted.
 */
import { ConfigError } from "@prebake/core";
import type { Parameter, Template } from "./model.ts";

export interface ParameterProblem {
  message: string;
  fix: string;
}

/** NoEcho may be written as a boolean or, in YAML or JSON templates, as the string "true". */
export const isNoEcho = (p: Pick<Parameter, "NoEcho">): boolean => String(p.NoEcho) === "true";

/** AllowedPattern matches the whole value, as in CloudFormation. */
function matchesPattern(pattern: string, value: string): boolean | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return undefined;
  }
}

/** How a value appears in a message: quoted ('27.x') or bare (400); a NoEcho value never does. */
interface Shown {
  quoted: (v: string) => string;
  bare: (v: string) => string;
}

function numberProblem(p: Parameter, value: string, shown: Shown): ParameterProblem | undefined {
  const fix = (text: string) => p.ConstraintDescription ?? text;
  for (const part of p.Type === "List<Number>" ? value.split(",") : [value]) {
    const n = Number(part);
    if (part.trim() === "" || !Number.isFinite(n))
      return { message: `${shown.quoted(part)} is not a number`, fix: fix("use a number") };
    if (p.MinValue !== undefined && n < Number(p.MinValue))
      return { message: `${shown.bare(part)} is below ${p.MinValue}`, fix: fix(`use ${p.MinValue} or more`) };
    if (p.MaxValue !== undefined && n > Number(p.MaxValue))
      return { message: `${shown.bare(part)} is above ${p.MaxValue}`, fix: fix(`use ${p.MaxValue} or less`) };
  }
  return undefined;
}

/** Why `value` breaks the parameter's constraints (message and fix), or undefined when it is fine. */
export function parameterProblem(p: Parameter, value: string): ParameterProblem | undefined {
  const hidden = isNoEcho(p) ? "the NoEcho value" : undefined;
  const shown: Shown = { quoted: (v) => hidden ?? `'${v}'`, bare: (v) => hidden ?? v };
  const { quoted } = shown;
  const fix = (text: string) => p.ConstraintDescription ?? text;
  if (p.AllowedValues && !p.AllowedValues.map(String).includes(value)) {
    return {
      message: `${quoted(value)} is not an allowed value`,
      fix: `use one of: ${p.AllowedValues.join(", ")}`,
    };
  }
  if (p.AllowedPattern !== undefined) {
    const matches = matchesPattern(p.AllowedPattern, value);
    if (matches === undefined)
      return {
        message: `AllowedPattern ${p.AllowedPattern} is not a valid pattern`,
        fix: "fix the pattern in stack.ts",
      };
    if (!matches)
      return {
        message: `${quoted(value)} does not match the pattern ${p.AllowedPattern}`,
        fix: fix(`use a value that matches ${p.AllowedPattern}`),
      };
  }
  if (p.Type === "Number" || p.Type === "List<Number>") {
    const problem = numberProblem(p, value, shown);
    if (problem) return problem;
  }
  if (p.MinLength !== undefined && value.length < Number(p.MinLength))
    return {
      message: `${quoted(value)} is shorter than ${p.MinLength} characters`,
      fix: fix(`use at least ${p.MinLength} characters`),
    };
  if (p.MaxLength !== undefined && value.length > Number(p.MaxLength))
    return {
      message: `${quoted(value)} is longer than ${p.MaxLength} characters`,
      fix: fix(`use at most ${p.MaxLength} characters`),
    };
  return undefined;
}

/**
 * Check values (e.g. prebake.config.yaml stacks.<name>.parameters) against the template: an
 * unknown key, or a value its constraints refuse, is one ConfigError naming the field.
 */
export function validateParameterValues(
  template: Template,
  values: Record<string, string>,
  where: string | ((key: string) => string),
): void {
  // A string names the field holding the values (`prebake.config.yaml: stacks.ci.parameters`).
  const at = typeof where === "string" ? (key: string) => `${where}.${key}` : where;
  for (const [key, value] of Object.entries(values)) {
    const p = template.Parameters?.[key];
    if (!p) {
      throw new ConfigError(`unknown parameter '${key}'`, {
        where: at(key),
        fix: `use one of: ${Object.keys(template.Parameters ?? {}).join(", ") || "(the template has no parameters)"}`,
      });
    }
    const problem = parameterProblem(p, value);
    if (problem) throw new ConfigError(problem.message, { where: at(key), fix: problem.fix });
  }
}
