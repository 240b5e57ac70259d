/**
 * dist/stacks/<name>.json (dist/<env>/stacks/<name>.json in a named environment): what later steps (CodeBuild runs, other stacks) read about a deployed
 * stack. Written after every successful deploy, including a skip, so it always exists.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { distPaths, environmentSegment, type ResolvedEnvironment, writeJsonAtomic } from "@prebake/core";
import { stackOutputs, stackParameters } from "@prebake/stack/deployed";

export interface StackOutputsFile {
  stackName: string;
  /** The environment the stack belongs to (`default`: the profile's implicit one). */
  environment: string;
  stackId: string;
  status: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  deployedAt: string;
}

export function stackOutputsFile(stack: Stack, environment: string): StackOutputsFile {
  const outputs = stackOutputs(stack);
  const parameters = stackParameters(stack);
  const at = stack.LastUpdatedTime ?? stack.CreationTime;
  return {
    stackName: stack.StackName ?? "",
    environment,
    stackId: stack.StackId ?? "",
    status: stack.StackStatus ?? "",
    outputs,
    parameters,
    deployedAt: at ? at.toISOString() : new Date().toISOString(),
  };
}

export async function writeStackOutputs(
  rootDir: string,
  environment: ResolvedEnvironment,
  name: string,
  stack: Stack,
): Promise<Record<string, string>> {
  const file = stackOutputsFile(stack, environment.name);
  await writeJsonAtomic(distPaths.stackOutputs(rootDir, name, environmentSegment(environment)), file);
  return file.outputs;
}
