import { ConfigError } from "@prebake/core";
import { asIntrinsic, PSEUDO_PARAMETERS } from "./intrinsics.ts";
import type { Template } from "./model.ts";
import { validateParameterValues } from "./parameters.ts";

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

/** Throws the ConfigError for one field of the template. */
type Fail = (field: string, message: string, fix: string) => never;

function checkParameters(template: Template, where: string, fail: Fail): void {
  for (const [id, p] of Object.entries(template.Parameters ?? {})) {
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
}

function checkResources(template: Template, fail: Fail): void {
  const { Resources: resources } = template;
  const conditions = template.Conditions ?? {};
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
    if (r.Condition && !(r.Condition in conditions))
      fail(
        `Resources.${id}.Condition`,
        `condition '${r.Condition}' is not defined`,
        "add it under Conditions",
      );
    for (const dep of [r.DependsOn ?? []].flat()) {
      if (!(dep in resources))
        fail(
          `Resources.${id}.DependsOn`,
          `DependsOn names '${dep}', which is not a resource`,
          "name a logical ID of this template",
        );
    }
  }
}

function checkOutputs(template: Template, fail: Fail): void {
  const conditions = template.Conditions ?? {};
  for (const [id, o] of Object.entries(template.Outputs ?? {})) {
    if (o?.Value === undefined)
      fail(`Outputs.${id}.Value`, `output ${id} has no Value`, "set Value (e.g. Ref(<resource>))");
    if (o.Condition && !(o.Condition in conditions))
      fail(`Outputs.${id}.Condition`, `condition '${o.Condition}' is not defined`, "add it under Conditions");
  }
}

/** Every !Ref, !GetAtt, !Sub, condition and mapping reference names something that exists. */
function checkReferences(template: Template, fail: Fail): void {
  const { Resources: resources } = template;
  const parameters = template.Parameters ?? {};
  const conditions = template.Conditions ?? {};
  const refs: Reference[] = [];
  collectReferences(resources, "Resources", refs);
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
    } else if (ref.kind === "Condition") {
      if (!(ref.target in conditions))
        fail(ref.path, `condition '${ref.target}' is not defined`, "add it under Conditions");
    } else if (ref.kind === "GetAtt") {
      if (!(ref.target in resources))
        fail(
          ref.path,
          `!GetAtt names '${ref.target}', which is not a resource`,
          "name a logical ID of this template",
        );
    } else if (
      !(ref.target in resources) &&
      !(ref.target in parameters) &&
      !PSEUDO_PARAMETERS.has(ref.target)
    ) {
      fail(
        ref.path,
        `${ref.kind === "Ref" ? "!Ref" : "!Sub"} '${ref.target}' is dangling: no parameter, resource or pseudo parameter has that name`,
        "declare it or correct the name",
      );
    }
  }
}

export function validateTemplate(template: Template, where: string): void {
  const fail: Fail = (field, message, fix) => {
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
  if (Object.keys(template.Resources).length === 0)
    fail("Resources", "a template needs at least one resource", "add a resource");
  checkParameters(template, where, fail);
  checkResources(template, fail);
  checkOutputs(template, fail);
  checkReferences(template, fail);
}
