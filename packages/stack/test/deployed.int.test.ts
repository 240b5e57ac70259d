/**
 * The deployed-stack reader against the emulator's CloudFormation: a stack that is there (status,
 * parameters, outputs, its template as sent), one that never was, and one deleted (by name it is
 * gone; by id CloudFormation still describes it, DELETE_COMPLETE). Unique stack names.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  waitUntilStackCreateComplete,
  waitUntilStackDeleteComplete,
} from "@aws-sdk/client-cloudformation";
import { createContext } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  deployedTemplateBody,
  describeDeployedStack,
  isLive,
  stackOutputs,
  stackParameters,
} from "../src/deployed.ts";

const id = randomBytes(3).toString("hex");
const root = mkdtempSync(join(tmpdir(), "prebake-deployed-"));
writeFileSync(join(root, "prebake.config.yaml"), "project: prebake-test\n");
const cfn = createContext({ cwd: root, env: {}, quiet: true }).aws(CloudFormationClient);
const NAME = `prebake-test-deployed-${id}`;
const TEMPLATE = JSON.stringify({
  Parameters: { Value: { Type: "String" } },
  Resources: {
    P: {
      Type: "AWS::SSM::Parameter",
      Properties: { Name: `/prebake-test/${id}/p`, Type: "String", Value: { Ref: "Value" } },
    },
  },
  Outputs: { ParameterName: { Value: { Ref: "P" } } },
});

afterAll(async () => {
  await cfn.send(new DeleteStackCommand({ StackName: NAME })).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("the deployed-stack reader", () => {
  it("answers exists, status, parameters, outputs and template; missing and deleted stacks are none", async () => {
    expect(await describeDeployedStack(cfn, `prebake-test-never-${id}`)).toBeUndefined();
    expect(await deployedTemplateBody(cfn, `prebake-test-never-${id}`)).toBeUndefined();
    expect(stackParameters(undefined)).toEqual({});

    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: NAME,
        TemplateBody: TEMPLATE,
        Parameters: [{ ParameterKey: "Value", ParameterValue: "v1" }],
      }),
    );
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60 }, { StackName: NAME });
    const stack = await describeDeployedStack(cfn, NAME);
    expect(isLive(stack)).toBe(true);
    expect(stack?.StackStatus).toBe("CREATE_COMPLETE");
    expect(stackParameters(stack)).toEqual({ Value: "v1" });
    expect(stackOutputs(stack)).toEqual({ ParameterName: `/prebake-test/${id}/p` });
    expect(JSON.parse((await deployedTemplateBody(cfn, NAME))!)).toEqual(JSON.parse(TEMPLATE));

    await cfn.send(new DeleteStackCommand({ StackName: NAME }));
    await waitUntilStackDeleteComplete({ client: cfn, maxWaitTime: 60 }, { StackName: StackId! });
    expect(await describeDeployedStack(cfn, NAME)).toBeUndefined();
    const byId = await describeDeployedStack(cfn, StackId!);
    expect(byId?.StackStatus).toBe("DELETE_COMPLETE");
    expect(isLive(byId)).toBe(false);
  });
});
