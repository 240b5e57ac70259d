/**
 * dist/stacks/<name>.json: what later steps (CodeBuild runs, other stacks) read about a deployed
 * stack. Written after every successful deploy, including a skip, so it always exists.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { distPaths, writeJsonAtomic } from "@prebake/core";

export interface StackOutputsFile {
  stackName: string;
  stackId: string;
  status: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  deployedAt: string;
}

export function stackOutputsFile(stack: Stack): StackOutputsFile {
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? "";
  const parameters: Record<string, string> = {};
  for (const p of stack.Parameters ?? [])
    if (p.ParameterKey) parameters[p.ParameterKey] = p.ParameterValue ?? "";
  const at = stack.LastUpdatedTime ?? stack.CreationTime;
  return {
    stackName: stack.StackName ?? "",
    stackId: stack.StackId ?? "",
    status: stack.StackStatus ?? "",
    outputs,
    parameters,
    deployedAt: at ? at.toISOString() : new Date().toISOString(),
  };
}

export async function writeStackOutputs(
  rootDir: string,
  name: string,
  stack: Stack,
): Promise<Record<string, string>> {
  const file = stackOutputsFile(stack);
  await writeJsonAtomic(distPaths.stackOutputs(rootDir, name), file);
  return file.outputs;
}
