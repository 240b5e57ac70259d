/**
 * A protected environment changes only after approval, against moto, through the real CLI in the
 * aws profile. A protected environment is refused on a loopback endpoint, so the profile names
 * moto `moto.prebake.test` and the CLI resolves that name to 127.0.0.1 (fixtures/test-hosts.mjs,
 * loaded with --import): the code under test is unchanged and every request stays on loopback.
 *
 * Without a terminal (CI is set) a deploy shows the review and exits 9 with the change set (and a
 * new stack's empty shell) deleted; --approve deploys; `--dry-run --fail` exits 11 while a change
 * is pending and 0 when none is. On a terminal (a pseudo-terminal from util-linux `script`) a no
 * changes nothing and a yes executes. `destroy` asks the same way (the same approval).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { ExitCode } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, NODE, runCli } from "../../core/test/fault-tools.ts";
import { AWS_ENV, MOTO, makeAwsRoot } from "../../images/test/aws-standin.ts";
import { deleteStacks, suffix } from "./helpers.ts";

const id = suffix();
const project = `pb${id}`;
/** The CloudFormation stack of a stack folder in the protected environment. */
const stackNameOf = (folder: string) => `${project}-prod-${folder}`;
const HOST = "moto.prebake.test";
const CLI_ENV = {
  ...AWS_ENV,
  NODE_OPTIONS: `--import=${join(import.meta.dirname, "fixtures/test-hosts.mjs")}`,
  PREBAKE_TEST_HOSTS: `${HOST}=127.0.0.1`,
};

const root = makeAwsRoot("127.0.0.1:5052", project);
writeFileSync(
  join(root, "prebake.config.yaml"),
  `profile: aws
project: ${project}
profiles:
  aws:
    region: ${AWS_ENV.AWS_REGION}
    endpoint: http://${HOST}:5060
environments:
  prod: { profile: aws, protected: true }
`,
);
/** The test's own view of moto, on its loopback address. */
const cfn = new CloudFormationClient({ endpoint: MOTO, region: AWS_ENV.AWS_REGION });

/** stacks/<folder>: a role the stack's builds would run as (plus `extraStatement`), and a parameter. */
function writeTemplate(folder: string, value: string, extraStatement = "") {
  mkdirSync(join(root, "stacks", folder), { recursive: true });
  writeFileSync(
    join(root, "stacks", folder, "stack.yaml"),
    `Resources:
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: codebuild.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: logs:PutLogEvents
                Resource: !Sub arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/${project}/*
${extraStatement}  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${project}/${folder}/setting
      Type: String
      Value: ${value}
`,
  );
}

const WIDE = `              - Effect: Allow
                Action: "s3:*"
                Resource: "*"
`;

const cli = (args: string[]) => runCli(root, ["--env", "prod", ...args], CLI_ENV);

async function stack(stackName: string) {
  return (await cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => undefined))
    ?.Stacks?.[0];
}
const deployedBody = async (stackName: string) =>
  String((await cfn.send(new GetTemplateCommand({ StackName: stackName }))).TemplateBody);
/** Change sets still waiting to run (moto lists every stack's, and keeps executed ones): this stack's only. */
const changeSets = async (stackName: string) =>
  (
    (await cfn.send(new ListChangeSetsCommand({ StackName: stackName })).catch(() => undefined))?.Summaries ??
    []
  )
    .filter((c) => c.StackName === stackName && c.ExecutionStatus === "AVAILABLE")
    .map((c) => c.ChangeSetName);

/**
 * The CLI on a pseudo-terminal (`script`), CI unset: answers `answer` once the question is asked.
 * Resolves with the exit code and everything the terminal showed.
 */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const quoted = [NODE, CLI, "--env", "prod", ...args].map((a) => `'${a}'`).join(" ");
  const { CI: _ci, ...env } = process.env;
  const child: ChildProcess = spawn("script", ["-q", "-e", "-c", quoted, "/dev/null"], {
    cwd: root,
    env: { ...env, ...CLI_ENV },
  });
  let output = "";
  let answered = false;
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
    if (!answered && output.includes("[y/N]")) {
      answered = true;
      child.stdin!.write(`${answer}\r`);
    }
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      child.stdin!.end();
      resolve({ code, output });
    }),
  );
}

afterAll(async () => {
  await deleteStacks(cfn, ["app", "term", "gone"].map(stackNameOf));
  rmSync(root, { recursive: true, force: true });
});

describe("a protected environment changes only after approval (moto, aws profile)", () => {
  it("without a terminal: the review, then exit 9, nothing left behind; --approve creates it; --dry-run --fail is exit 11 while a broadening change is pending, 0 once none is", async () => {
    const stackName = stackNameOf("app");
    writeTemplate("app", "one");
    const refused = await cli(["deploy", "app"]);
    expect(refused.code, refused.output).toBe(ExitCode.REFUSED);
    expect(refused.output).toContain("review:");
    expect(refused.output).toContain("IAM Statement Changes");
    expect(refused.output).toContain(
      `prebake: error: stack ${stackName}: protected environment 'prod': create stack ${stackName} needs approval, and there is no terminal to ask`,
    );
    expect((await stack(stackName))?.StackStatus ?? "none").toMatch(/^(none|DELETE_COMPLETE)$/);
    expect(await changeSets(stackName)).toEqual([]);

    const approved = await cli(["deploy", "app", "--approve"]);
    expect(approved.code, approved.output).toBe(0);
    expect(approved.output).toContain(`approved with --approve: create stack ${stackName}`);
    expect((await stack(stackName))?.StackStatus).toBe("CREATE_COMPLETE");

    writeTemplate("app", "one", WIDE);
    const pending = await cli(["deploy", "app", "--dry-run", "--fail"]);
    expect(pending.code, pending.output).toBe(ExitCode.CHANGES_PENDING);
    expect(pending.output).toContain("security: permissions broadened");
    expect(pending.output).toMatch(/\+ .*\*.*Allow.*s3:\*/);
    expect(pending.output).toContain(`1 stack(s) would change: ${stackName}`);
    expect(await deployedBody(stackName)).not.toContain("s3:*");
    expect(await changeSets(stackName)).toEqual([]);

    writeTemplate("app", "one");
    const none = await cli(["deploy", "app", "--dry-run", "--fail"]);
    expect(none.code, none.output).toBe(0);
  });

  it("on a terminal: a no changes nothing (exit 9, change set deleted); a yes updates the stack", async () => {
    const stackName = stackNameOf("term");
    writeTemplate("term", "one");
    const created = await cli(["deploy", "term", "--approve"]);
    expect(created.code, created.output).toBe(0);
    writeTemplate("term", "two", WIDE);
    const no = await onTerminal(["deploy", "term"], "n");
    expect(no.code, no.output).toBe(ExitCode.REFUSED);
    expect(no.output).toContain(`update stack ${stackName} in protected environment 'prod'? [y/N]`);
    expect(no.output).toContain("was not approved");
    expect(await deployedBody(stackName)).toContain("Value: one");
    expect(await changeSets(stackName)).toEqual([]);

    const yes = await onTerminal(["deploy", "term"], "y");
    expect(yes.code, yes.output).toBe(0);
    expect(await deployedBody(stackName)).toContain("Value: two");
    expect((await stack(stackName))?.StackStatus).toBe("UPDATE_COMPLETE");
  });

  it("destroy: the plan, then exit 9 without approval (the stack stays); --approve deletes it", async () => {
    const stackName = stackNameOf("gone");
    writeTemplate("gone", "one");
    const created = await cli(["deploy", "gone", "--approve"]);
    expect(created.code, created.output).toBe(0);

    const refused = await cli(["destroy", "gone"]);
    expect(refused.code, refused.output).toBe(ExitCode.REFUSED);
    expect(refused.output).toContain(`${stackName}: deletes 2 resource(s), keeps 0`);
    expect(refused.output).toContain(
      `protected environment 'prod': delete 1 stack(s): ${stackName} needs approval, and there is no terminal to ask`,
    );
    expect((await stack(stackName))?.StackStatus).toBe("CREATE_COMPLETE");

    const approved = await cli(["destroy", "gone", "--approve"]);
    expect(approved.code, approved.output).toBe(0);
    expect((await stack(stackName))?.StackStatus ?? "gone").toMatch(/^(gone|DELETE_COMPLETE)$/);
  });
});
