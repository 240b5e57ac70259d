/**
 * `nx run-many -t deploy` with the plugin's batch executor, end to end: the real nx, prebake and
 * the shared moto, in a throw-away workspace of small stacks (stack names carry a random project).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  paginateDescribeStacks,
} from "@aws-sdk/client-cloudformation";
import { createContext } from "@prebake/core";
import { afterEach, describe, expect, it } from "vitest";
import { makeWorkspace, suffix, type TempWorkspace } from "./workspace.ts";

/**
 * A stack of one SSM parameter; `after` orders it behind other stacks, `parameter` needs a value,
 * `lintError` adds a log group cfn-lint rejects (8 is no retention CloudWatch offers).
 */
function stackSource(
  name: string,
  opts: { after?: string[]; parameter?: boolean; lintError?: boolean } = {},
): string {
  const value = opts.parameter ? `Ref("Needed")` : JSON.stringify(name);
  const logs = opts.lintError
    ? `, Logs: resource("AWS::Logs::LogGroup", { RetentionInDays: 8 } as never)`
    : "";
  return `import { defineTemplate, Ref, resource } from "@prebake/stack";
export default defineTemplate({
  Description: "batch test stack ${name}",
  ${opts.after ? `Metadata: { Prebake: { After: ${JSON.stringify(opts.after)} } },` : ""}
  ${opts.parameter ? `Parameters: { Needed: { Type: "String" } },` : ""}
  Resources: { Param: resource("AWS::SSM::Parameter", { Type: "String", Value: ${value} })${logs} },
});
`;
}

let ws: TempWorkspace;
let project: string;

function workspace(stacks: Record<string, string>): TempWorkspace {
  project = `nxb-${suffix()}`;
  ws = makeWorkspace({ project });
  for (const [name, source] of Object.entries(stacks)) ws.write(`stacks/${name}/stack.ts`, source);
  // Rendered, as the repository commits them: the project graph orders stacks by stack.yaml.
  const render = ws.prebake(["render"]);
  expect(render.code, render.output).toBe(0);
  return ws;
}

const cloudFormation = () => createContext({ cwd: ws.root, env: {} }).aws(CloudFormationClient);

async function deployedStacks(): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateDescribeStacks({ client: cloudFormation() }, {})) {
    for (const s of page.Stacks ?? []) {
      if (s.StackName?.startsWith(`${project}-`) && s.StackStatus !== "DELETE_COMPLETE") {
        names.push(s.StackName.slice(project.length + 1));
      }
    }
  }
  return names.sort();
}

afterEach(async () => {
  const cf = cloudFormation();
  for (const stack of await deployedStacks()) {
    await cf.send(new DeleteStackCommand({ StackName: `${project}-${stack}` }));
  }
  ws.remove();
});

/** The summary rows (what `prebake summary` reads) a run recorded, as "name action". */
function summaryRows(dir: string): string[] {
  return readFileSync(join(dir, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line).result)
    .filter((r) => r.stack && r.durationMs !== undefined)
    .map((r) => `${r.stack} ${r.action}`);
}

const batches = (output: string) => output.match(/Running \d+ tasks with @prebake\/nx-plugin:prebake/g) ?? [];

describe("nx run-many -t deploy, batched", () => {
  it("runs the pipeline in one process in dependency order; a failure skips its dependents only", async () => {
    workspace({
      alpha: stackSource("alpha"),
      beta: stackSource("beta", { after: ["alpha"] }),
      gamma: stackSource("gamma"),
      delta: stackSource("delta", { parameter: true }),
      epsilon: stackSource("epsilon", { after: ["delta"] }),
    });
    const summary = mkdtempSync(join(tmpdir(), "prebake-summary-"));
    const run = ws.nx(["run-many", "-t", "deploy"], { PREBAKE_SUMMARY_DIR: summary });

    expect(run.code, run.output).not.toBe(0);
    expect(batches(run.output), run.output).toHaveLength(1);
    // delta fails as `prebake deploy delta` does, with the same line and exit code
    const alone = ws.prebake(["deploy", "delta"]);
    expect(alone.code).toBe(3);
    const errorLine = alone.stderr.split("\n").find((l) => l.startsWith("prebake: error:"))!;
    expect(errorLine).toContain("Needed");
    expect(run.output).toContain(errorLine);
    expect(run.output).toContain("prebake deploy delta: exit code 3 (config)");
    // epsilon waits for delta: never run; everything else ran, beta after alpha
    expect(run.output).not.toMatch(/✔\s+nx run epsilon:deploy/);
    expect(await deployedStacks()).toEqual(["alpha", "beta", "gamma"]);
    const rows = summaryRows(summary);
    expect([...rows].sort()).toEqual(["alpha created", "beta created", "gamma created"]);
    expect(rows.indexOf("alpha created")).toBeLessThan(rows.indexOf("beta created"));
  });

  it("per process (--batch=false) and batched give the same results; a second run skips every stack", async () => {
    workspace({ alpha: stackSource("alpha"), beta: stackSource("beta", { after: ["alpha"] }) });
    const first = mkdtempSync(join(tmpdir(), "prebake-summary-"));
    const perProcess = ws.nx(["run-many", "-t", "deploy", "--batch=false"], { PREBAKE_SUMMARY_DIR: first });
    expect(perProcess.code, perProcess.output).toBe(0);
    expect(batches(perProcess.output)).toHaveLength(0);
    expect(summaryRows(first)).toEqual(["alpha created", "beta created"]);

    const second = mkdtempSync(join(tmpdir(), "prebake-summary-"));
    const batched = ws.nx(["run-many", "-t", "deploy"], { PREBAKE_SUMMARY_DIR: second });
    expect(batched.code, batched.output).toBe(0);
    expect(summaryRows(second)).toEqual(["alpha skipped", "beta skipped"]);
    const described = await cloudFormation().send(
      new DescribeStacksCommand({ StackName: `${project}-beta` }),
    );
    expect(described.Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
  });

  it("one task on its own (nx run <stack>:deploy) still runs, with arguments after --", () => {
    workspace({ alpha: stackSource("alpha") });
    const dryRun = ws.nx(["run", "alpha:deploy", "--", "--dry-run"]);
    expect(dryRun.code, dryRun.output).toBe(0);
    expect(dryRun.output).toContain("dry run");
  });

  it("the lint tasks share one cfn-lint; a bad template fails its own lint and what waits for it only", async () => {
    workspace({
      alpha: stackSource("alpha"),
      gamma: stackSource("gamma"),
      bad: stackSource("bad", { lintError: true }),
      later: stackSource("later", { after: ["bad"] }),
    });
    // A cfn-lint that logs its runs, in front of the real one.
    const bin = mkdtempSync(join(tmpdir(), "prebake-cfn-lint-"));
    const log = join(bin, "runs");
    writeFileSync(
      join(bin, "cfn-lint"),
      `#!/bin/sh\n[ "$1" = "--version" ] || echo "$*" >> "${log}"\nPATH="${process.env.PATH}" exec cfn-lint "$@"\n`,
    );
    chmodSync(join(bin, "cfn-lint"), 0o755);
    const run = ws.nx(["run-many", "-t", "deploy"], { PATH: `${bin}:${process.env.PATH}` });

    expect(run.code, run.output).not.toBe(0);
    const runs = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    expect(runs, run.output).toHaveLength(1);
    for (const stack of ["alpha", "gamma", "bad", "later"])
      expect(runs[0]).toContain(`stacks/${stack}/stack.yaml`);
    expect(run.output).toMatch(/stacks\/bad\/stack\.yaml:\d+: E3030: /);
    expect(run.output).toContain("prebake lint bad: exit code 4 (validation)");
    expect(run.output).not.toMatch(/✔\s+nx run later:deploy/);
    expect(await deployedStacks()).toEqual(["alpha", "gamma"]);
  });
});
