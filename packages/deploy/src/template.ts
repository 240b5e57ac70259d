/**
 * The few things deploy needs from a rendered template: its parameters, resources (types and
 * properties, for capabilities and the property diff) and Metadata.Prebake. The body itself is
 * sent to CloudFormation as-is; this parse is only for reading. CloudFormation's short tags
 * (!Ref, !Sub, ...) become their long forms so two templates compare by meaning, not spelling.
 */
import { ConfigError, firstLine } from "@prebake/core";
import { cloudFormationTags } from "@prebake/stack";
import { parse } from "yaml";

export interface TemplateParameter {
  Type?: string;
  Default?: unknown;
  AllowedPattern?: string;
  AllowedValues?: unknown[];
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean | string;
  ConstraintDescription?: string;
  Description?: string;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PrebakeMetadata {
  Images?: string[];
  After?: string[];
  ImageParameters?: Record<string, string>;
}

export interface ParsedTemplate {
  Parameters?: Record<string, TemplateParameter>;
  Resources?: Record<string, TemplateResource>;
  Metadata?: { Prebake?: PrebakeMetadata; [key: string]: unknown };
  Transform?: unknown;
  [key: string]: unknown;
}

/** The same short-tag resolvers `prebake render` uses, so both read a template alike. */
const TAGS = cloudFormationTags;

/** Parse a template body (YAML or JSON) into plain data. `where` names the file in errors. */
export function parseTemplate(body: string, where: string): ParsedTemplate {
  let doc: unknown;
  try {
    doc = parse(body, { customTags: TAGS, uniqueKeys: false, maxAliasCount: -1 });
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError(`template is not valid YAML: ${firstLine(err)}`, {
      where: line ? `${where}:${line}` : where,
      fix: "render the stack again (prebake render <stack>)",
    });
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError("template is not a mapping", { where, fix: "render the stack again" });
  }
  return doc as ParsedTemplate;
}

const IAM_NAME_PROPERTIES: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};

/**
 * The capabilities the template needs CloudFormation to acknowledge: IAM resources need
 * CAPABILITY_IAM, custom-named ones CAPABILITY_NAMED_IAM, a Transform (macros) CAPABILITY_AUTO_EXPAND.
 */
export function requiredCapabilities(template: ParsedTemplate): string[] {
  let iam = false;
  let named = false;
  for (const resource of Object.values(template.Resources ?? {})) {
    if (!resource.Type?.startsWith("AWS::IAM::")) continue;
    iam = true;
    const nameProperty = IAM_NAME_PROPERTIES[resource.Type];
    if (nameProperty && resource.Properties?.[nameProperty] !== undefined) named = true;
  }
  const caps: string[] = [];
  if (named) caps.push("CAPABILITY_NAMED_IAM");
  else if (iam) caps.push("CAPABILITY_IAM");
  if (template.Transform !== undefined) caps.push("CAPABILITY_AUTO_EXPAND");
  return caps;
}
