import { ConfigError } from "@prebake/core";
import { asIntrinsic, PSEUDO_PARAMETERS } from "./intrinsics.ts";
import type { Template } from "./model.ts";

/**
 * Checks a template before anything is written: the mistakes cfn-lint would only report after
 * the fact, or CloudFormation only at deploy time. Each is one ConfigError naming the file, the
 * logical ID or field, and the fix.
 */

const RESOURCE_TYPE = /^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]+)$/;

/** `${Name}` and `${Name.Attr}` in an Fn::Sub string; `${!Literal}` is an escape, not a reference. */
export function subReferences(template: string): string[] {
  const refs: string[] = [];
  for (const m of template.matchAll(/\$\{([^}!][^}]*)\}/g)) refs.push(m[1]!.trim());
  return refs;
}

interface Reference {
  target: string;
  path: string;
  kind: "Ref" | "GetAtt" | "Sub" | "Condition" | "FindInMap";
}

function collectReferences(
  value: unknown,
  path: string,
  out: Reference[],
  subLocals: Set<string> = new Set(),
): void {
  const fn = asIntrinsic(value);
  if (fn) {
    const { name, arg } = fn;
    if (name === "Ref" && typeof arg === "string") {
      if (!subLocals.has(arg)) out.push({ target: arg, path, kind: "Ref" });
      return;
    }
    if (name === "GetAtt" && Array.isArray(arg) && typeof arg[0] === "string") {
      out.push({ target: arg[0], path, kind: "GetAtt" });
      return;
    }
    if (name === "Sub") {
      const [text, vars] = typeof arg === "string" ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const locals = new Set(Object.keys(vars ?? {}));
      for (const ref of subReferences(String(text))) {
        const target = ref.split(".")[0]!;
        if (!locals.has(ref) && !locals.has(target)) out.push({ target, path, kind: "Sub" });
      }
      for (const [k, v] of Object.entries(vars ?? {})) collectReferences(v, `${path}.${k}`, out);
      return;
    }
    if (name === "Condition" && typeof arg === "string") {
      out.push({ target: arg, path, kind: "Condition" });
      return;
    }
    if (name === "FindInMap" && Array.isArray(arg) && typeof arg[0] === "string") {
      out.push({ target: arg[0], path, kind: "FindInMap" });
      for (const [i, v] of arg.slice(1).entries()) collectReferences(v, `${path}[${i + 1}]`, out);
      return;
    }
    if (name === "If" && Array.isArray(arg) && typeof arg[0] === "string") {
      out.push({ target: arg[0], path, kind: "Condition" });
      for (const [i, v] of arg.slice(1).entries()) collectReferences(v, `${path}[${i + 1}]`, out);
      return;
    }
    collectReferences(arg, path, out);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collectReferences(v, `${path}[${i}]`, out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collectReferences(v, path ? `${path}.${k}` : k, out);
  }
}

export function validateTemplate(template: Template, where: string): void {
  const fail = (field: string, message: string, fix: string): never => {
    throw new ConfigError(message, { where: `${where}: ${field}`, fix });
  };
  if (
    !template ||
    typeof template !== "object" ||
    !template.Resources ||
    typeof template.Resources !== "object"
  ) {
    fail(
      "Resources",
      "a template needs a Resources section",
      "export default defineTemplate({ Resources: { ... } })",
    );
  }
  const parameters = template.Parameters ?? {};
  const resources = template.Resources;
  const conditions = template.Conditions ?? {};
  if (Object.keys(resources).length === 0)
    fail("Resources", "a template needs at least one resource", "add a resource");

  for (const [id, p] of Object.entries(parameters)) {
    if (!p?.Type)
      fail(`Parameters.${id}.Type`, `parameter ${id} has no Type`, "set Type: String (or Number, ...)");
    if (p.AllowedPattern !== undefined) {
      try {
        new RegExp(p.AllowedPattern);
      } catch (err) {
        fail(
          `Parameters.${id}.AllowedPattern`,
          `not a valid pattern: ${(err as Error).message}`,
          "fix the regular expression",
        );
      }
    }
    if (p.Default !== undefined)
      validateParameterValues(
        template,
        { [id]: String(p.Default) },
        () => `${where}: Parameters.${id}.Default`,
      );
  }

  for (const [id, r] of Object.entries(resources)) {
    if (!/^[A-Za-z0-9]+$/.test(id))
      fail(
        `Resources.${id}`,
        `logical ID '${id}' must be alphanumeric`,
        "rename it (letters and digits only)",
      );
    if (!r?.Type || !RESOURCE_TYPE.test(r.Type)) {
      fail(
        `Resources.${id}.Type`,
        `resource ${id} has no valid Type ('${r?.Type ?? ""}')`,
        "use a CloudFormation type such as AWS::S3::Bucket",
      );
    }
    if (r.Type === "AWS::CodeBuild::Project" && !r.Properties?.ServiceRole) {
      fail(
        `Resources.${id}.Properties.ServiceRole`,
        `CodeBuild project ${id} has no service role`,
        "set ServiceRole: GetAtt(<role>, 'Arn') to the role the project runs as",
      );
    }
    if (r.Condition && !(r.Condition in conditions)) {
      fail(
        `Resources.${id}.Condition`,
        `condition '${r.Condition}' is not defined`,
        "add it under Conditions",
      );
    }
    for (const dep of [r.DependsOn ?? []].flat()) {
      if (!(dep in resources))
        fail(
          `Resources.${id}.DependsOn`,
          `DependsOn names '${dep}', which is not a resource`,
          "name a logical ID of this template",
        );
    }
  }

  for (const [id, o] of Object.entries(template.Outputs ?? {})) {
    if (o?.Value === undefined)
      fail(`Outputs.${id}.Value`, `output ${id} has no Value`, "set Value (e.g. Ref(<resource>))");
    if (o.Condition && !(o.Condition in conditions))
      fail(`Outputs.${id}.Condition`, `condition '${o.Condition}' is not defined`, "add it under Conditions");
  }

  const refs: Reference[] = [];
  collectReferences(template.Resources, "Resources", refs);
  collectReferences(template.Outputs ?? {}, "Outputs", refs);
  collectReferences(conditions, "Conditions", refs);
  for (const ref of refs) {
    if (ref.kind === "FindInMap") {
      if (!(ref.target in (template.Mappings ?? {})))
        fail(
          ref.path,
          `!FindInMap names mapping '${ref.target}', which is not defined`,
          "add it under Mappings",
        );
      continue;
    }
    if (ref.kind === "Condition") {
      if (!(ref.target in conditions))
        fail(ref.path, `condition '${ref.target}' is not defined`, "add it under Conditions");
      continue;
    }
    const isResource = ref.target in resources;
    if (ref.kind === "GetAtt") {
      if (!isResource)
        fail(
          ref.path,
          `!GetAtt names '${ref.target}', which is not a resource`,
          "name a logical ID of this template",
        );
      continue;
    }
    if (!isResource && !(ref.target in parameters) && !PSEUDO_PARAMETERS.has(ref.target)) {
      const tag = ref.kind === "Ref" ? "!Ref" : "!Sub";
      fail(
        ref.path,
        `${tag} '${ref.target}' is dangling: no parameter, resource or pseudo parameter has that name`,
        "declare it or correct the name",
      );
    }
  }
}

/**
 * Check parameter values against the template's constraints before any API call, so a value
 * such as `27.1; rm -rf /` is refused with the field it came from.
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
    if (p.AllowedPattern !== undefined && !new RegExp(`^(?:${p.AllowedPattern})$`).test(value)) {
      throw new ConfigError(`'${value}' does not match the pattern ${p.AllowedPattern}`, {
        where: at(key),
        fix: p.ConstraintDescription ?? `use a value that matches ${p.AllowedPattern}`,
      });
    }
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(value)) {
      throw new ConfigError(`'${value}' is not an allowed value`, {
        where: at(key),
        fix: `use one of: ${p.AllowedValues.join(", ")}`,
      });
    }
    const bad = (message: string, fix: string): never => {
      throw new ConfigError(message, { where: at(key), fix: p.ConstraintDescription ?? fix });
    };
    if (p.Type === "Number") {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) bad(`'${value}' is not a number`, "use a number");
      if (p.MinValue !== undefined && n < p.MinValue)
        bad(`${value} is below ${p.MinValue}`, `use ${p.MinValue} or more`);
      if (p.MaxValue !== undefined && n > p.MaxValue)
        bad(`${value} is above ${p.MaxValue}`, `use ${p.MaxValue} or less`);
    }
    if (p.MinLength !== undefined && value.length < p.MinLength)
      bad(`'${value}' is shorter than ${p.MinLength} characters`, `use at least ${p.MinLength} characters`);
    if (p.MaxLength !== undefined && value.length > p.MaxLength)
      bad(`'${value}' is longer than ${p.MaxLength} characters`, `use at most ${p.MaxLength} characters`);
  }
}
