/** The capabilities a template needs CloudFormation to acknowledge. */
import type { Template } from "@prebake/stack";

const IAM_NAME_PROPERTIES: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};

/**
 * IAM resources need CAPABILITY_IAM, custom-named ones CAPABILITY_NAMED_IAM, a Transform
 * (macros) CAPABILITY_AUTO_EXPAND.
 */
export function requiredCapabilities(template: Template): string[] {
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
