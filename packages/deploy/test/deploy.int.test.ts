/**
 * The deploy engine against the shared moto_server (127.0.0.1:5060). Every test uses its own
 * project name (so its own CloudFormation stack names) and deletes the stacks it created.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { awsCallLog, ConfigError, UnavailableError, ValidationError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { deployStack } from "../src/deploy.ts";
import { isReadOnlyCall } from "../src/index.ts";
import {
  captureContext,
  closedPortEndpoint,
  deleteStacks,
  makeProject,
  suffix,
  type TestProject,
} from "./helpers.ts";

const logsTemplate = (name: string, value = "hello", retention = 7) => `AWSTemplateFormatVersion: "2010-09-09"
Description: prebake deploy test
Parameters:
  Suffix:
    Type: String
    Default: one
    AllowedPattern: "[a-z]+"
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "${name}-\${Suffix}"
      RetentionInDays: ${retention}
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/${name}/\${Suffix}"
      Type: String
      Value: ${value}
Outputs:
  LogGroupName:
    Value: !Ref Logs
`;

const noParamsTemplate = (name: string) => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/plain
      Type: String
      Value: plain
`;

const projects: TestProject[] = [];
const stacksToDelete: string[] = [];

function project(templates: Record<string, string>, extra: Partial<Parameters<typeof makeProject>[0]> = {}) {
  const name = `dt${suffix()}`;
  const p = makeProject({ project: name, templates, ...extra });
  projects.push(p);
  for (const stack of Object.keys(templates)) stacksToDelete.push(`${name}-${stack}`);
  return { ...p, name };
}

const cfn = () => captureContext(projects[0]?.root ?? process.cwd()).ctx.aws(CloudFormationClient);

async function leftoverChangeSets(client: CloudFormationClient, stackName: string) {
  const res = await client.send(new ListChangeSetsCommand({ StackName: stackName }));
  // Executed change sets are history (AWS removes them itself); anything else was left behind.
  // moto lists every change set in the region whatever StackName says, hence the filter.
  return (res.Summaries ?? []).filter(
    (s) => s.StackName === stackName && s.ExecutionStatus !== "EXECUTE_COMPLETE",
  );
}

afterAll(async () => {
  const client = cfn();
  await deleteStacks(client, stacksToDelete);
  for (const p of projects) p.remove();
});

describe("deploy against moto", () => {
  it("creates, skips a no-op with read-only calls only, updates with a diff, and writes outputs", async () => {
    const p = project({ app: logsTemplate("x") });
    p.write({ templates: { app: logsTemplate(`${p.name}`) } });
    const stackName = `${p.name}-app`;

    const first = captureContext(p.root);
    const created = await deployStack(first.ctx, "app");
    expect(created.action).toBe("created");
    expect(created.status).toBe("CREATE_COMPLETE");
    expect(created.changes.map((c) => `${c.action} ${c.logicalId} ${c.type}`)).toEqual([
      "Add Logs AWS::Logs::LogGroup",
      "Add Param AWS::SSM::Parameter",
    ]);
    expect(first.text()).toMatch(
      /\d\d:\d\d:\d\d {2}\S+-app {2}AWS::CloudFormation::Stack {2}CREATE_COMPLETE/,
    );
    const outputs = JSON.parse(readFileSync(join(p.root, "dist", "stacks", "app.json"), "utf8"));
    expect(outputs).toMatchObject({ stackName, status: "CREATE_COMPLETE", parameters: { Suffix: "one" } });
    // moto 5.2 never fills Outputs for stacks made by change sets (the fault tests check real values
    // on the fixture moto, which does); here the file must carry what DescribeStacks reported.
    expect(outputs.outputs).toEqual(created.outputs);
    expect(outputs.stackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\//);

    // No-op: two read-only calls, no change set.
    const before = awsCallLog.length;
    const second = captureContext(p.root);
    const skipped = await deployStack(second.ctx, "app");
    const calls = awsCallLog.slice(before).map((c) => c.command);
    expect(skipped.action).toBe("skipped");
    expect(calls).toEqual(["DescribeStacksCommand", "GetTemplateCommand"]);
    expect(calls.every(isReadOnlyCall)).toBe(true);
    expect(skipped.apiCalls).toBe(2);
    expect(skipped.apiCallsByCommand).toEqual({ DescribeStacks: 1, GetTemplate: 1 });
    expect(second.text()).toContain("AWS API calls: 2 (DescribeStacks 1, GetTemplate 1)");

    // Update: the diff names the resource and the property.
    p.write({ templates: { app: logsTemplate(p.name, "changed") } });
    const third = captureContext(p.root);
    const updated = await deployStack(third.ctx, "app");
    expect(updated.action).toBe("updated");
    expect(updated.changes).toEqual([
      expect.objectContaining({ action: "Modify", logicalId: "Param", type: "AWS::SSM::Parameter" }),
    ]);
    expect(third.text()).toMatch(/~ Modify\s+Param\s+AWS::SSM::Parameter/);
    expect(third.text()).toContain("Value: hello -> changed");
    const client = third.ctx.aws(CloudFormationClient);
    const body = await client.send(new GetTemplateCommand({ StackName: stackName }));
    expect(body.TemplateBody).toContain("Value: changed");
    expect(await leftoverChangeSets(client, stackName)).toEqual([]);
  });

  it("dry run shows the change set and deletes it; nothing is executed, a new stack is not left behind", async () => {
    const p = project({ app: logsTemplate("x") });
    p.write({ templates: { app: logsTemplate(p.name) } });
    const stackName = `${p.name}-app`;

    const fresh = captureContext(p.root);
    const planned = await deployStack(fresh.ctx, "app", { dryRun: true });
    expect(planned.action).toBe("dry-run");
    expect(planned.changes.map((c) => c.action)).toEqual(["Add", "Add"]);
    const client = fresh.ctx.aws(CloudFormationClient);
    const gone = await client
      .send(new DescribeStacksCommand({ StackName: stackName }))
      .catch((e: Error) => e);
    expect(String(gone)).toMatch(/does not exist/);

    await deployStack(captureContext(p.root).ctx, "app");
    p.write({ templates: { app: logsTemplate(p.name, "hello", 14) } });
    const dry = captureContext(p.root);
    const result = await deployStack(dry.ctx, "app", { dryRun: true });
    expect(result.action).toBe("dry-run");
    expect(dry.text()).toContain("RetentionInDays: 7 -> 14");
    const deployed = await client.send(new GetTemplateCommand({ StackName: stackName }));
    expect(deployed.TemplateBody).toContain("RetentionInDays: 7");
    expect(await leftoverChangeSets(client, stackName)).toEqual([]);
  });

  it("an empty change set (FAILED: didn't contain changes) is deleted and reported as no changes", async () => {
    // moto does not apply tag changes, so a tag-only change is one the service finds empty.
    const p = project({ plain: "" });
    p.write({ templates: { plain: noParamsTemplate(p.name) } });
    await deployStack(captureContext(p.root).ctx, "plain");
    p.write({ tags: { CostCentre: "42" } });
    const run = captureContext(p.root);
    const result = await deployStack(run.ctx, "plain");
    expect(result.differences).toEqual(["tag CostCentre is new"]);
    expect(result.action).toBe("no-changes");
    expect(run.text()).toContain("no changes");
    expect(await leftoverChangeSets(run.ctx.aws(CloudFormationClient), `${p.name}-plain`)).toEqual([]);
  });

  it("an identical update answered with ValidationError 'No updates are to be performed' is no changes", async () => {
    const p = project({ app: "" });
    p.write({ templates: { app: logsTemplate(p.name) } });
    await deployStack(captureContext(p.root).ctx, "app");
    const run = captureContext(p.root);
    const before = awsCallLog.length;
    const result = await deployStack(run.ctx, "app", { bypassSkip: true });
    expect(result.action).toBe("no-changes");
    expect(run.text()).toContain("No updates are to be performed");
    expect(awsCallLog.slice(before).map((c) => c.command)).not.toContain("ExecuteChangeSetCommand");
    expect(await leftoverChangeSets(run.ctx.aws(CloudFormationClient), `${p.name}-app`)).toEqual([]);
  });

  it("bad input fails before any AWS call: unknown stack, missing or unknown parameter, cfn-lint errors", async () => {
    const p = project({ app: "" });
    const needsValue = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Owner:
    Type: String
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Ref Owner
`;
    const broken = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 8
`;
    p.write({ templates: { app: needsValue, broken } });
    const before = awsCallLog.length;
    const run = captureContext(p.root);

    const unknown = await deployStack(run.ctx, "nope").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ConfigError);
    expect((unknown as ConfigError).toLine()).toBe(
      "stacks/nope: unknown stack 'nope' (fix: use one of: app, broken)",
    );

    const missing = await deployStack(run.ctx, "app").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).toLine()).toContain(
      "stacks/app/stack.yaml: Parameters.Owner: parameter 'Owner' has no value",
    );

    const extra = await deployStack(run.ctx, "app", { parameters: { Owner: "me", Colour: "red" } }).catch(
      (e: unknown) => e,
    );
    expect((extra as ConfigError).toLine()).toContain("--parameter Colour: unknown parameter 'Colour'");

    const lint = await deployStack(run.ctx, "broken").catch((e: unknown) => e);
    expect(lint).toBeInstanceOf(ValidationError);
    expect((lint as ValidationError).exitCode).toBe(4);
    expect(run.text()).toMatch(/error: stacks\/broken\/stack\.yaml:6: E\d+: 8 is not one of/);

    expect(awsCallLog.length).toBe(before);
  });

  it("an unreachable endpoint is one UnavailableError (exit 5) and nothing is created", async () => {
    const p = project({ plain: "" }, { endpoint: await closedPortEndpoint() });
    p.write({ templates: { plain: noParamsTemplate(p.name) } });
    const err = await deployStack(captureContext(p.root).ctx, "plain", { lint: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).exitCode).toBe(5);
    expect((err as UnavailableError).toLine()).toMatch(/cannot reach the AWS API \(ECONNREFUSED\)/);
  });
});
