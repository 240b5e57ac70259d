/**
 * An environment that names its account is changed only with credentials for that account
 * (core's assertEnvironmentAccount, asked of STS before the first change). The shared moto answers
 * GetCallerIdentity with account 123456789012: an environment naming another account must stop
 * with exit 6 before any stack exists; one naming moto's account deploys.
 */
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, describe, expect, it } from "vitest";
import { captureContext, deleteStacks, makeProject, prebakeCli, suffix } from "./helpers.ts";

const prebake = (cwd: string, args: string[]) => prebakeCli(cwd, args, { CI: "1", PREBAKE_ENV: "" });

const MOTO_ACCOUNT = "123456789012";
const name = `acct${suffix()}`;
const p = makeProject({
  project: name,
  templates: {
    ci: `AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n`,
  },
  environments: {
    prod: { profile: "local", account: "999999999999" },
    dev: { profile: "local", account: MOTO_ACCOUNT },
  },
});
const cfn = captureContext(p.root).ctx.aws(CloudFormationClient);
const stackExists = (stack: string) =>
  cfn.send(new DescribeStacksCommand({ StackName: stack })).then(
    () => true,
    () => false,
  );

afterAll(async () => {
  await deleteStacks(cfn, [`${name}-prod-ci`, `${name}-dev-ci`]);
  p.remove();
});

describe("an environment's account", () => {
  it("stops a deploy with credentials for another account (exit 6), before any stack exists", async () => {
    const r = await prebake(p.root, ["--env", "prod", "deploy", "ci"]);
    expect(r.code, r.stdout + r.stderr).toBe(6);
    expect(r.stderr).toContain(`the credentials are for account ${MOTO_ACCOUNT}`);
    expect(r.stderr).toContain("999999999999");
    expect(await stackExists(`${name}-prod-ci`)).toBe(false);
  });

  it("lets a deploy with that account's credentials through", async () => {
    const r = await prebake(p.root, ["--env", "dev", "deploy", "ci"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await stackExists(`${name}-dev-ci`)).toBe(true);
  });
});
