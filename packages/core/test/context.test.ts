import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { ContextPool, createContext } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "prebake-context-"));
writeFileSync(join(root, "prebake.config.yaml"), "project: ctx\nenvironments:\n  dev: { profile: local }\n");
const options = { cwd: root, env: {}, quiet: true };

describe("a command's context (the CLI's and the batch runner's alike)", () => {
  it("commands of one pool share the configuration and clients, each with its own output and history", () => {
    const pool = new ContextPool();
    const first = createContext(options, pool);
    const second = createContext({ ...options, json: true }, pool);
    expect(second.config).toBe(first.config);
    expect(second.aws(CloudFormationClient)).toBe(first.aws(CloudFormationClient));
    expect(second.out).not.toBe(first.out);
    expect(second.out.json).toBe(true);
    expect(first.out.json).toBe(false);
    // Both keep history: the batch runner's commands are recorded as the binary's are.
    for (const ctx of [first, second]) expect(ctx.out.keepsHistory).toBe(true);
  });

  it("commands of one pool ask git once for the checkout's facts; another pool asks again", async () => {
    const repo = resolve(import.meta.dirname, "../../..");
    const pool = new ContextPool();
    const first = createContext({ ...options, cwd: repo }, pool);
    const second = createContext({ ...options, cwd: repo, json: true }, pool);
    expect(second.gitRevision()).toBe(first.gitRevision());
    expect(await first.gitRevision()).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    const other = createContext({ ...options, cwd: repo }, new ContextPool());
    expect(other.gitRevision()).not.toBe(first.gitRevision());
  });

  it("another environment prints to the command's own output, not to the first command's", () => {
    const pool = new ContextPool();
    createContext(options, pool).forEnvironment("dev");
    const later = createContext({ ...options, verbose: true }, pool);
    const dev = later.forEnvironment("dev");
    expect(dev.out).toBe(later.out);
    expect(dev.config.environment.name).toBe("dev");
    expect(dev.forEnvironment("default").out).toBe(later.out);
  });

  it("a configuration error is raised for every command, not remembered as a success", () => {
    const broken = mkdtempSync(join(tmpdir(), "prebake-context-bad-"));
    writeFileSync(join(broken, "prebake.config.yaml"), "projcet: typo\n");
    const pool = new ContextPool();
    for (let i = 0; i < 2; i++)
      expect(() => createContext({ cwd: broken, env: {} }, pool)).toThrow(/projcet/);
  });
});
