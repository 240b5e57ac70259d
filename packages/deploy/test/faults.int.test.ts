/**
 * Failure paths that stock moto cannot produce: a resource that fails to create (with the
 * CloudFormation events and rollback that follow), ROLLBACK_COMPLETE recovery, a failed update,
 * and credentials the service rejects. These run against extra moto_server instances started
 * here: fixtures/moto_with_rollback.py (moto plus CloudFormation's rollback semantics; the
 * failure itself is moto's own), once more with moto's credential checking on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { AuthError, DeployFailedError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployStack } from "../src/deploy.ts";
import {
  captureContext,
  type ExtraMoto,
  makeProject,
  startMoto,
  suffix,
  type TestProject,
} from "./helpers.ts";

// The log group "Taken" is created outside the stack first, so the stack's create of the same
// name fails in moto with ResourceAlreadyExistsException (cfn-lint cannot know about it).
const template = (name: string, takenName: string) => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/first
      Type: String
      Value: ok
  Taken:
    Type: AWS::Logs::LogGroup
    DependsOn: Param
    Properties:
      LogGroupName: ${takenName}
Outputs:
  ParamName:
    Value: !Ref Param
`;

let moto: ExtraMoto;
const projects: TestProject[] = [];

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop(); // the whole emulator goes, with everything the tests made in it
  for (const p of projects) p.remove();
});

describe("deploy failures (moto with CloudFormation rollback semantics)", () => {
  it("prints the root cause and final status, exits 7; the next deploy deletes the ROLLBACK_COMPLETE stack and recreates it", async () => {
    const name = `df${suffix()}`;
    const taken = `${name}-taken`;
    const p = makeProject({
      project: name,
      endpoint: moto.endpoint,
      templates: { app: template(name, taken) },
    });
    projects.push(p);
    const run = captureContext(p.root);
    const logs = run.ctx.aws(CloudWatchLogsClient);
    await logs.send(new CreateLogGroupCommand({ logGroupName: taken }));

    const err = await deployStack(run.ctx, "app").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailedError);
    expect((err as DeployFailedError).exitCode).toBe(7);
    const line = (err as DeployFailedError).toLine();
    expect(line).toContain(`stack ${name}-app: create failed: Taken (AWS::Logs::LogGroup) CREATE_FAILED`);
    expect(line).toContain("already exists");
    expect(line).toContain("final status ROLLBACK_COMPLETE");
    const text = run.text();
    // Events streamed oldest first, then the summary.
    expect(text.indexOf("Param  AWS::SSM::Parameter  CREATE_COMPLETE")).toBeGreaterThan(-1);
    expect(text.indexOf("Taken  AWS::Logs::LogGroup  CREATE_FAILED")).toBeGreaterThan(
      text.indexOf("Param  AWS::SSM::Parameter  CREATE_COMPLETE"),
    );
    expect(text).toMatch(/error: root cause: Taken \(AWS::Logs::LogGroup\) CREATE_FAILED: .*already exists/);
    expect(text).toContain("error: final status: ROLLBACK_COMPLETE");
    const cfn = run.ctx.aws(CloudFormationClient);
    const failed = await cfn.send(new DescribeStacksCommand({ StackName: `${name}-app` }));
    expect(failed.Stacks?.[0]?.StackStatus).toBe("ROLLBACK_COMPLETE");

    // Fix the cause; deploy again: the rolled-back stack is deleted and created anew.
    await logs.send(new DeleteLogGroupCommand({ logGroupName: taken }));
    const again = captureContext(p.root);
    const result = await deployStack(again.ctx, "app");
    expect(result.action).toBe("created");
    expect(result.recreated).toBe(true);
    expect(again.text()).toContain("ROLLBACK_COMPLETE); deleting it and creating it again");
    expect(again.text()).toMatch(/AWS::CloudFormation::Stack {2}DELETE_COMPLETE/);
    const outputs = JSON.parse(readFileSync(join(p.root, "dist", "stacks", "app.json"), "utf8"));
    expect(outputs.status).toBe("CREATE_COMPLETE");
    expect(outputs.outputs).toEqual({ ParamName: `/${name}/first` });
  });

  it("a failed update ends in UPDATE_ROLLBACK_COMPLETE with its root cause; the stack stays deployable", async () => {
    const name = `df${suffix()}`;
    const okTemplate = template(name, `${name}-own`);
    const p = makeProject({ project: name, endpoint: moto.endpoint, templates: { app: okTemplate } });
    projects.push(p);
    const run = captureContext(p.root);
    expect((await deployStack(run.ctx, "app")).action).toBe("created");

    const taken = `${name}-taken`;
    await run.ctx.aws(CloudWatchLogsClient).send(new CreateLogGroupCommand({ logGroupName: taken }));
    p.write({
      templates: {
        app: `${okTemplate}  Extra:\n    Value: x\n`.replace(
          "Outputs:",
          `  Second:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: ${taken}\nOutputs:`,
        ),
      },
    });
    const update = captureContext(p.root);
    const err = await deployStack(update.ctx, "app").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailedError);
    expect((err as DeployFailedError).toLine()).toMatch(
      /update failed: Second \(AWS::Logs::LogGroup\) CREATE_FAILED: .*already exists.*final status UPDATE_ROLLBACK_COMPLETE/,
    );
    expect(update.text()).toMatch(/\+ Add\s+Second\s+AWS::Logs::LogGroup/);

    // UPDATE_ROLLBACK_COMPLETE is a stable state: the original template deploys as a no-op.
    p.write({ templates: { app: okTemplate } });
    expect((await deployStack(captureContext(p.root).ctx, "app")).action).toBe("skipped");
  });
});

describe("credentials the service rejects", () => {
  let strict: ExtraMoto;
  beforeAll(async () => {
    // moto's own IAM check: with INITIAL_NO_AUTH_ACTION_COUNT=0 it rejects keys it does not know.
    strict = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: "0" });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it("is one AuthError line (exit 6) naming the fix; nothing is created", async () => {
    const name = `df${suffix()}`;
    const p = makeProject({
      project: name,
      endpoint: strict.endpoint,
      templates: { app: template(name, "x") },
    });
    projects.push(p);
    const err = await deployStack(captureContext(p.root).ctx, "app").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(6);
    expect((err as AuthError).toLine()).toMatch(
      /AWS rejected the credentials \(InvalidClientTokenId: .*\) \(fix: check profiles\.local\.credentials/,
    );
  });
});
