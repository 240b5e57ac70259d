/**
 * What deploy refuses before any AWS call, read through @prebake/stack's one template reader:
 * an alias bomb, duplicate keys, a malformed Metadata.Prebake, and a NoEcho value that breaks a
 * constraint (whose value must not be printed). The endpoint is a closed port: reaching AWS at
 * all would be an UnavailableError instead of the ConfigError each case expects.
 */
import { ConfigError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { deployStack } from "../src/deploy.ts";
import { pollUntil } from "../src/poll.ts";
import { captureContext, closedPortEndpoint, makeProject, type TestProject } from "./helpers.ts";

const projects: TestProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

async function deployError(body: string, parameters: Record<string, string> = {}) {
  const p = makeProject({ project: "input", endpoint: await closedPortEndpoint(), templates: { app: body } });
  projects.push(p);
  const run = captureContext(p.root);
  const err = await deployStack(run.ctx, "app", { lint: false, parameters }).catch((e: unknown) => e);
  return { err, text: run.text() };
}

const param = `Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: { Type: String, Value: x }
`;

describe("deploy reads templates through the stack package's reader", () => {
  it("an alias bomb is refused by the YAML library's alias limit, naming the file", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 6; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const bomb = `Metadata:\n  Bomb:\n${levels.map((l) => `    ${l}`).join("\n")}\n${param}`;
    const { err } = await deployError(bomb);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toMatch(/^stacks\/app\/stack\.yaml(:\d+)?: .*alias/i);
  });

  it("duplicate keys are refused (CloudFormation refuses them too)", async () => {
    const { err } = await deployError(`${param}    Properties: { Type: String, Value: y }\n`);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toMatch(/^stacks\/app\/stack\.yaml:\d+: .*unique/i);
  });

  it("a malformed Metadata.Prebake is the stack package's one validated error", async () => {
    const { err } = await deployError(`Metadata:\n  Prebake:\n    ImageParameters: [a, b]\n${param}`);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toMatch(
      /^stacks\/app\/stack\.yaml: Metadata\.Prebake\.ImageParameters: must map parameter names to image names/,
    );
  });

  it("a template over the 1 MB CloudFormation reads from S3 is refused, naming the file, before any upload", async () => {
    const { err } = await deployError(`${param}Metadata:\n  Padding: ${"x".repeat(1_000_000)}\n`);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toMatch(
      /^stacks\/app\/stack\.yaml: template is \d+ bytes; CloudFormation takes at most 1000000 \(fix: split the stack/,
    );
  });

  it("a NoEcho value that breaks a constraint is refused without being printed", async () => {
    const secret = "hunter2-is-not-allowed";
    const body = `Parameters:
  Password:
    Type: String
    NoEcho: true
    AllowedPattern: "[a-z]+"
    MinLength: 30
${param}`;
    const { err, text } = await deployError(body, { Password: secret });
    expect(err).toBeInstanceOf(ConfigError);
    const line = (err as ConfigError).toLine();
    expect(line).toContain("--parameter Password");
    expect(line).toMatch(/NoEcho/);
    expect(line).not.toContain(secret);
    expect(text).not.toContain(secret);
  });
});

describe("polling has a deadline", () => {
  it("gives up with the caller's error once the deadline has passed", async () => {
    let polls = 0;
    const never = async () => {
      polls++;
      return undefined;
    };
    const err = await pollUntil(never, {
      backoff: { initialMs: 1, maxMs: 1 },
      timeoutMs: 20,
      onTimeout: (waitedMs) => new Error(`gave up after ${waitedMs} ms`),
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/gave up after \d+ ms/);
    expect(polls).toBeGreaterThan(1);
  });
});
