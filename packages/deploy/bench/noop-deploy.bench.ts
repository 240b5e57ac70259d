/**
 * No-op stack deploy: prebake vs `aws cloudformation deploy --no-fail-on-empty-changeset`
 * (AWS CLI v1), on the same template, stack and emulator (moto on 127.0.0.1:5060), in one run.
 *
 *   node_modules/.bin/node packages/deploy/bench/noop-deploy.bench.ts [--runs 7]
 *
 * Both run as fresh processes (process start counts for both), interleaved, after one warm-up
 * each (the first prebake run also lints; later runs reuse the lint result of the same body).
 * API calls: prebake's from its --json result (core's awsCallLog); the CLI's from its --debug log
 * (one "Making request for OperationModel" line per call).
 *
 * The template has no Parameters on purpose: moto answers an identical update that carries
 * parameters with ValidationError "No updates are to be performed", which AWS CLI v1 reports as
 * a failure (exit 255) even with --no-fail-on-empty-changeset; without parameters moto answers
 * with a FAILED empty change set, the path the CLI's flag handles.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { codeBuildRole } from "../test/helpers.ts";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../../..");
const node = join(repo, "node_modules/.bin/node");
const prebake = join(repo, "packages/cli/bin/prebake.js");
const endpoint = "http://127.0.0.1:5060";
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

const project = `bn${randomBytes(3).toString("hex")}`;
const stack = "bench";
const stackName = `${project}-${stack}`;
const root = mkdtempSync(join(tmpdir(), "prebake-bench-"));
const templateFile = join(root, "stacks", stack, "stack.yaml");
mkdirSync(join(root, "stacks", stack), { recursive: true });
writeFileSync(join(root, "prebake.config.yaml"), `project: ${project}\ntags:\n  Team: platform\n`);
writeFileSync(
  templateFile,
  `AWSTemplateFormatVersion: "2010-09-09"
Description: prebake no-op deploy benchmark
Resources:
${codeBuildRole("BuildRole")}  BuildLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/prebake/\${AWS::StackName}"
      RetentionInDays: 14
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/\${AWS::StackName}/setting"
      Type: String
      Value: on
`,
);

const awsEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_DEFAULT_REGION: "us-east-1",
};
// Same template, stack, tags and capabilities as prebake sends.
const cliArgs = [
  "--endpoint-url",
  endpoint,
  "cloudformation",
  "deploy",
  "--no-fail-on-empty-changeset",
  "--stack-name",
  stackName,
  "--template-file",
  templateFile,
  "--capabilities",
  "CAPABILITY_IAM",
  "--tags",
  "Team=platform",
  `prebake:stack=${stack}`,
];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const prebakeNoop = async () => {
  const { stdout } = await run(node, [prebake, "--json", "deploy", stack], { cwd: root });
  const result = JSON.parse(stdout) as {
    action: string;
    durationMs: number;
    apiCalls: number;
    apiCallsByCommand: Record<string, number>;
  };
  if (result.action !== "skipped") throw new Error(`prebake did not skip: ${result.action}`);
  return result;
};
const cliNoop = () => run("aws", cliArgs, { env: awsEnv, maxBuffer: 64 * 1024 * 1024 });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

try {
  // Create the stack once with prebake, then warm both tools up.
  await run(node, [prebake, "deploy", stack], { cwd: root });
  await prebakeNoop();
  await cliNoop();

  const prebakeTimes: number[] = [];
  const engineTimes: number[] = [];
  const cliTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    prebakeTimes.push(await timed(async () => engineTimes.push((await prebakeNoop()).durationMs)));
    cliTimes.push(await timed(cliNoop));
    process.stderr.write(
      `run ${i + 1}/${runs}: prebake ${fmt(prebakeTimes.at(-1)!)}, aws cli ${fmt(cliTimes.at(-1)!)}\n`,
    );
  }

  const calls = await prebakeNoop();
  const debug = await run("aws", [...cliArgs, "--debug"], { env: awsEnv, maxBuffer: 64 * 1024 * 1024 });
  const requests = [...debug.stderr.matchAll(/Making request for OperationModel\(name=(\w+)\)/g)].map(
    (m) => m[1]!,
  );
  const cliByOp: Record<string, number> = {};
  for (const op of requests) cliByOp[op] = (cliByOp[op] ?? 0) + 1;
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");

  // What each tool leaves behind: the CLI's empty change sets stay (FAILED), prebake creates none.
  const left = await run(
    "aws",
    ["--endpoint-url", endpoint, "cloudformation", "list-change-sets", "--stack-name", stackName],
    { env: awsEnv },
  );
  // moto lists every change set in the region whatever --stack-name says, hence the filter.
  type Summary = { StackName?: string; Status?: string; ChangeSetId?: string };
  const mine = ((JSON.parse(left.stdout) as { Summaries?: Summary[] }).Summaries ?? []).filter(
    (s) => s.StackName === stackName,
  );
  const leftover = mine.filter((s) => s.Status === "FAILED").length;
  // Clean up after the baseline (and prebake's one executed change set): moto keeps them after the stack goes.
  for (const cs of mine) {
    await run(
      "aws",
      [
        "--endpoint-url",
        endpoint,
        "cloudformation",
        "delete-change-set",
        "--change-set-name",
        cs.ChangeSetId ?? "",
      ],
      { env: awsEnv },
    );
  }

  const p = median(prebakeTimes);
  const c = median(cliTimes);
  console.log(
    `\nNo-op stack deploy on moto (${runs} runs each, medians; template: IAM role, log group, SSM parameter)\n`,
  );
  console.log("| variant | median | runs (s) | AWS API calls |");
  console.log("|---|---|---|---|");
  console.log(
    `| aws cloudformation deploy --no-fail-on-empty-changeset (baseline) | ${fmt(c)} | ${cliTimes.map((t) => (t / 1000).toFixed(2)).join(" ")} | ${requests.length} (${list(cliByOp)}) |`,
  );
  console.log(
    `| prebake deploy (skip) | ${fmt(p)} | ${prebakeTimes.map((t) => (t / 1000).toFixed(2)).join(" ")} | ${calls.apiCalls} (${list(calls.apiCallsByCommand)}) |`,
  );
  console.log(
    `\nratio baseline / prebake (whole process): ${(c / p).toFixed(2)}; prebake's deploy itself (in-process durationMs, median): ${Math.round(median(engineTimes))} ms`,
  );
  console.log(
    `empty FAILED change sets left on the stack by the baseline: ${leftover} (prebake: none; it never created one)`,
  );
} finally {
  await run(
    "aws",
    ["--endpoint-url", endpoint, "cloudformation", "delete-stack", "--stack-name", stackName],
    {
      env: awsEnv,
    },
  ).catch(() => {});
  rmSync(root, { recursive: true, force: true });
}
