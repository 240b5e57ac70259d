/**
 * A deploy beside a lint, as the Nx batch runs them in one process: the deploy's calls and polls
 * go on while a real cfn-lint runs (issue 20: a synchronous cfn-lint held every poll of the batch
 * for its whole run). Against the shared moto, with a throw-away project.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { lintTemplates, requireCfnLint } from "@prebake/stack";
import { afterAll, describe, expect, it } from "vitest";
import { deployStack } from "../src/deploy.ts";
import { captureContext, deleteStacks, makeProject, suffix, type TestProject } from "./helpers.ts";

const projects: TestProject[] = [];
const stackNames: string[] = [];
afterAll(async () => {
  const client = captureContext(projects[0]?.root ?? process.cwd()).ctx.aws(CloudFormationClient);
  await deleteStacks(client, stackNames);
  for (const p of projects) p.remove();
});

const parameterStack = (name: string, value: string) => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/beside-lint
      Type: String
      Value: ${value}
`;

/** Templates no cfn-lint answer is remembered for (a body of their own), so cfn-lint really runs. */
const freshTemplates = (count: number, nonce: string) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`lint-${i}`, parameterStack(`lint-${nonce}-${i}`, `v${i}`)]),
  );

/** Middleware on the context's CloudFormation client: when each call went out. */
function recordCallStarts(client: CloudFormationClient): { command: string; at: number }[] {
  const calls: { command: string; at: number }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: String(context.commandName), at: performance.now() });
      return next(args);
    },
    { step: "initialize", name: "testCallStarts" },
  );
  return calls;
}

describe("a deploy beside a lint in one process", () => {
  it("the deploy's calls and polls go on while cfn-lint runs; the loop is never held", async () => {
    const nonce = suffix();
    const project = `bes-${nonce}`;
    const lintFiles = Array.from({ length: 8 }, (_, i) => `stacks/lint-${i}/stack.yaml`);
    const p = makeProject({
      project,
      templates: { deployed: parameterStack(project, "one"), ...freshTemplates(8, nonce) },
    });
    projects.push(p);
    stackNames.push(`${project}-deployed`);
    const { ctx, text } = captureContext(p.root);
    const calls = recordCallStarts(ctx.aws(CloudFormationClient));
    // cfn-lint's version first (remembered in the project from then on): the window below is the lint.
    await requireCfnLint(p.root);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const lintStarted = performance.now();
    let lintEnded = 0;
    const lint = lintTemplates(p.root, lintFiles).then((results) => {
      lintEnded = performance.now();
      return results;
    });
    // Once cfn-lint is under way (its version is a remembered answer, the reads take milliseconds),
    // a create, then an update of the same stack: two waits, each polled, while cfn-lint runs.
    await sleep(300);
    const created = await deployStack(ctx, "deployed", { lint: false });
    p.write({ templates: { deployed: parameterStack(project, "two"), ...freshTemplates(8, nonce) } });
    const updated = await deployStack(ctx, "deployed", { lint: false });
    const deployEnded = performance.now();
    const results = await lint;
    delay.disable();

    expect(created.action, text()).toBe("created");
    expect(updated.action, text()).toBe("updated");
    for (const file of lintFiles) expect(results.get(file)).toEqual({ findings: [], cached: false });
    const lintMs = lintEnded - lintStarted;
    // A real cfn-lint ran (Python's start-up alone is about a second on this machine)...
    expect(lintMs).toBeGreaterThan(800);
    // ...and the deploys did their work while it ran: a synchronous cfn-lint lets no timer fire
    // and no call out until it is done, so the deploys would all come after it.
    const during = calls.filter((c) => c.at > lintStarted && c.at < lintEnded);
    const summary = `${calls.length} calls, ${during.length} during a lint of ${Math.round(lintMs)} ms; deploys ended at ${Math.round(deployEnded - lintStarted)} ms`;
    expect(during.length, summary).toBeGreaterThanOrEqual(Math.min(calls.length, 6));
    expect(during.filter((c) => c.command === "DescribeStacksCommand").length, summary).toBeGreaterThan(1);
    // No timer, a poll's sleep included, fired much later than asked.
    const worstDelayMs = delay.max / 1e6;
    expect(worstDelayMs, `event-loop delay up to ${worstDelayMs} ms; ${summary}`).toBeLessThan(lintMs / 3);
  });
});
