/**
 * The one reader of a deployed CloudFormation stack: whether it exists, its status, parameters,
 * outputs and deployed template. deploy's engine and images' in-use scan both read through it, so
 * "does not exist" is one rule: core's isNotFound (CloudFormation has no not-found error name, only
 * a ValidationError "Stack with id X does not exist"). Any other error is the SDK's own, for the
 * caller to word (classifyAwsError, or the deploy engine's awsFailure).
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { isNotFound } from "@prebake/core";

/**
 * The stack by name or id; undefined when there is none. By id, DescribeStacks still returns a
 * deleted stack (DELETE_COMPLETE) for a while: `isLive` tells it apart.
 */
export async function describeDeployedStack(
  client: CloudFormationClient,
  nameOrId: string,
): Promise<Stack | undefined> {
  try {
    return (await client.send(new DescribeStacksCommand({ StackName: nameOrId }))).Stacks?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Whether a described stack is there: found, and not DELETE_COMPLETE. */
export const isLive = (stack: Stack | undefined): stack is Stack =>
  stack !== undefined && stack.StackStatus !== "DELETE_COMPLETE";

/**
 * The deployed template body, as it was sent (TemplateStage Original; a JSON body comes back as
 * an object from some endpoints and is written as JSON); undefined when the stack does not exist.
 */
export async function deployedTemplateBody(
  client: CloudFormationClient,
  nameOrId: string,
): Promise<string | undefined> {
  try {
    const res = await client.send(new GetTemplateCommand({ StackName: nameOrId, TemplateStage: "Original" }));
    return typeof res.TemplateBody === "string" ? res.TemplateBody : JSON.stringify(res.TemplateBody ?? {});
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The stack's parameter values by key ("" where CloudFormation gives none); none without a stack. */
export function stackParameters(stack: Stack | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of stack?.Parameters ?? [])
    if (p.ParameterKey) values[p.ParameterKey] = p.ParameterValue ?? "";
  return values;
}

/** The stack's outputs by key. */
export function stackOutputs(stack: Stack | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const o of stack?.Outputs ?? []) if (o.OutputKey) values[o.OutputKey] = o.OutputValue ?? "";
  return values;
}
