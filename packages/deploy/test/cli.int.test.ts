import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterAll, describe, expect, it } from "vitest";
import { captureContext, deleteStacks, makeProject, prebakeCli, suffix } from "./helpers.ts";

const name = `dc${suffix()}`;
const p = makeProject({
  project: name,
  templates: {
    app: `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/cli
      Type: String
      Value: cli
`,
  },
});

afterAll(async () => {
  await deleteStacks(captureContext(p.root).ctx.aws(CloudFormationClient), [`${name}-app`]);
  p.remove();
});

describe("prebake deploy (CLI)", () => {
  it("creates, then a no-op run reports skipped with 2 API calls in --json", async () => {
    const first = await prebakeCli(p.root, ["deploy", "app"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("+ Add     Param  AWS::SSM::Parameter");
    const second = await prebakeCli(p.root, ["--json", "deploy", "app"]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      stack: "app",
      stackName: `${name}-app`,
      action: "skipped",
      changes: [],
      apiCalls: 2,
    });
  });

  it("an unknown stack is one line and exit 3", async () => {
    const res = await prebakeCli(p.root, ["deploy", "nope"]);
    expect(res.code).toBe(3);
    expect(res.stderr.trim()).toBe(
      "prebake: error: stacks/nope: unknown stack 'nope' (fix: use one of: app)",
    );
  });
});
