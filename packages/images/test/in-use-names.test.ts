/**
 * The in-use scan asks CloudFormation for the project's stacks by name, in every environment of the
 * profile: inside CodeBuild the image-rebuild role may only describe `stack/<project>-*`, and an
 * unnamed DescribeStacks (every stack in the account) needs `Resource: "*"`. The CloudFormation
 * client here only records the requests it is sent (the integration test runs the scan on moto).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { type Context, loadConfig, Output } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { readDeployedState } from "../src/lifecycle/index.ts";

const root = mkdtempSync(join(tmpdir(), "prebake-in-use-names-"));
for (const stack of ["ci", "image-rebuild"]) {
  mkdirSync(join(root, "stacks", stack), { recursive: true });
  writeFileSync(join(root, "stacks", stack, "stack.yaml"), "Resources: {}\n");
}
writeFileSync(
  join(root, "prebake.config.yaml"),
  `project: demo
environments:
  dev: { profile: local }
  qa: { profile: local, region: us-east-1 }
  eu: { profile: local, region: eu-west-1 }   # another region: another registry, not scanned here
  prod: { profile: aws }                      # another profile: another registry, not scanned here
`,
);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const notFound = (name: string) =>
  Object.assign(new Error(`Stack with id ${name} does not exist`), { name: "ValidationError" });

/**
 * A real SDK client whose requests stop at the first middleware step: it records each command and
 * answers as CloudFormation would for the stacks in `live` (an unnamed DescribeStacks lists them all).
 */
function recordingContext(live: string[]) {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const client = new CloudFormationClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const stack = (name: string) => ({ StackName: name, StackStatus: "CREATE_COMPLETE", Parameters: [] });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      sent.push({ command: String(context.commandName), input });
      const name = input.StackName as string | undefined;
      if (context.commandName === "DescribeStacksCommand") {
        if (!name) return { output: { Stacks: live.map(stack), $metadata: {} }, response: {} };
        if (!live.includes(name)) throw notFound(name);
        return { output: { Stacks: [stack(name)], $metadata: {} }, response: {} };
      }
      if (context.commandName === "GetTemplateCommand") {
        return { output: { TemplateBody: `{"Description":"${name}"}`, $metadata: {} }, response: {} };
      }
      throw new Error(`unexpected ${String(context.commandName)}`);
    },
    { step: "initialize", name: "recordAndAnswer" },
  );
  const ctx = {
    config: loadConfig({ cwd: root, env: {} }),
    out: new Output({ stdout: new PassThrough(), tty: false }),
    aws: () => client,
  } as unknown as Context;
  return { ctx, sent };
}

describe("the in-use scan names the project's stacks", () => {
  it("describes each stack by name in the implicit environment and each environment of the profile, never unnamed", async () => {
    const { ctx, sent } = recordingContext(["demo-ci", "demo-dev-image-rebuild"]);
    const state = await readDeployedState(ctx);

    const describes = sent.filter((s) => s.command === "DescribeStacksCommand");
    expect(describes.every((d) => typeof d.input.StackName === "string" && d.input.StackName !== "")).toBe(
      true,
    );
    expect(describes.map((d) => d.input.StackName).sort()).toEqual(
      [
        "demo-ci",
        "demo-image-rebuild",
        "demo-dev-ci",
        "demo-dev-image-rebuild",
        "demo-qa-ci",
        "demo-qa-image-rebuild",
      ].sort(),
    );
    expect(state.stacks.map((s) => s.StackName).sort()).toEqual(["demo-ci", "demo-dev-image-rebuild"]);
    // Templates are read for the live stacks only, by name too.
    expect(
      sent
        .filter((s) => s.command === "GetTemplateCommand")
        .map((s) => s.input.StackName)
        .sort(),
    ).toEqual(["demo-ci", "demo-dev-image-rebuild"]);
    expect(state.templateBodies.get("demo-ci")).toBe('{"Description":"demo-ci"}');
  });
});
