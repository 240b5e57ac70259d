/**
 * A hung and a killed emulator in the middle of a deploy (issue 9, "Hangs"): `prebake deploy`
 * exits 5 naming the endpoint instead of waiting forever, and once the emulator answers again a
 * rerun converges to the same stack. Each case runs its OWN moto_server (never the shared one on
 * 5060) behind a TCP tap that stops or kills it exactly when ExecuteChangeSet goes out.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { createAwsClient, loadConfig } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ExtraMoto,
  makeProject,
  startMoto,
  startTap,
  suffix,
  type Tap,
  type TestProject,
} from "./helpers.ts";

const repo = resolve(import.meta.dirname, "../../..");

/** Longer than any bounded run (4 attempts of a 2 s request timeout, plus backoff): past it, prebake hung. */
const HUNG_AFTER_MS = 120_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  hung: boolean;
}

/** Run the real CLI; kill it (and report it hung) if it has not exited by HUNG_AFTER_MS. */
function prebake(cwd: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(
      join(repo, "node_modules/.bin/node"),
      [join(repo, "packages/cli/bin/prebake.js"), ...args],
      { cwd, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, HUNG_AFTER_MS);
    child.on("close", (code) => {
      clearTimeout(guard);
      done({ code, stdout, stderr, hung });
    });
  });
}

const template = (name: string) => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/deadline
      Type: String
      Value: converged
Outputs:
  ParamName:
    Value: !Ref Param
`;

const motos: ExtraMoto[] = [];
const taps: Tap[] = [];
const projects: TestProject[] = [];

afterAll(async () => {
  for (const t of taps) await t.close();
  for (const m of motos) await m.stop();
  for (const p of projects) p.remove();
});

async function setup() {
  const moto = await startMoto();
  motos.push(moto);
  const tap = await startTap(moto.port);
  taps.push(tap);
  const name = `dl${suffix()}`;
  const p = makeProject({
    project: name,
    endpoint: tap.endpoint,
    // Short deadlines so the test is quick; the defaults are 10 s to connect and 30 s per call.
    profile: { timeouts: { connectSeconds: 2, requestSeconds: 2 } },
    templates: { app: template(name) },
  });
  projects.push(p);
  return { moto, tap, name, p };
}

/** The deployed stack, read straight from the emulator. */
async function deployedState(root: string, stackName: string) {
  const cfn = createAwsClient(CloudFormationClient, loadConfig({ cwd: root, env: {} }).profile);
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  const body = await cfn.send(new GetTemplateCommand({ StackName: stackName }));
  return { status: stack?.StackStatus, templateBody: body.TemplateBody };
}

function expectUnavailableLine(run: Run, endpoint: string) {
  expect(run.hung).toBe(false);
  expect(run.code).toBe(5);
  const lines = run.stderr.trim().split("\n");
  expect(lines.at(-1)).toMatch(
    new RegExp(`^prebake: error: ${endpoint.replace(/[.:/]/g, "\\$&")}: cannot reach the AWS API \\(`),
  );
}

describe("deadlines: a hung or killed emulator during a deploy", () => {
  it("a hung emulator (SIGSTOP at ExecuteChangeSet): exit 5 naming the endpoint; after SIGCONT a rerun converges", async () => {
    const { moto, tap, name, p } = await setup();
    tap.once(/Action=ExecuteChangeSet/, () => process.kill(moto.pid, "SIGSTOP"));

    const hung = await prebake(p.root, ["deploy", "app", "--no-lint"]);
    expectUnavailableLine(hung, tap.endpoint);
    expect(hung.stderr).toMatch(/did not answer within 2 s/);

    process.kill(moto.pid, "SIGCONT");
    const rerun = await prebake(p.root, ["--json", "deploy", "app", "--no-lint"]);
    expect(rerun.hung).toBe(false);
    expect(rerun.code).toBe(0);
    const state = await deployedState(p.root, `${name}-app`);
    expect(state).toEqual({ status: "CREATE_COMPLETE", templateBody: template(name) });
    // Converged: one more run finds nothing to do.
    const again = await prebake(p.root, ["--json", "deploy", "app", "--no-lint"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: "skipped", apiCalls: 2 });
    const outputs = JSON.parse(readFileSync(join(p.root, "dist", "stacks", "app.json"), "utf8"));
    expect(outputs).toMatchObject({ status: "CREATE_COMPLETE", outputs: { ParamName: `/${name}/deadline` } });
  });

  it("a killed emulator (SIGKILL at ExecuteChangeSet): exit 5 naming the endpoint; started again, a rerun creates the same stack", async () => {
    const { moto, tap, name, p } = await setup();
    tap.once(/Action=ExecuteChangeSet/, () => process.kill(moto.pid, "SIGKILL"));

    const killed = await prebake(p.root, ["deploy", "app", "--no-lint"]);
    expectUnavailableLine(killed, tap.endpoint);

    // The emulator keeps its state in memory: a new one starts empty, behind the same endpoint.
    const restarted = await startMoto();
    motos.push(restarted);
    tap.retarget(restarted.port);
    const rerun = await prebake(p.root, ["--json", "deploy", "app", "--no-lint"]);
    expect(rerun.hung).toBe(false);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ action: "created" });
    expect(await deployedState(p.root, `${name}-app`)).toEqual({
      status: "CREATE_COMPLETE",
      templateBody: template(name),
    });
    const again = await prebake(p.root, ["--json", "deploy", "app", "--no-lint"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: "skipped", apiCalls: 2 });
  });
});
