import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const main = resolve(import.meta.dirname, "../src/main.ts");
const recorder = resolve(import.meta.dirname, "fixtures/record-modules.mjs");
const dir = mkdtempSync(join(tmpdir(), "prebake-startup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules `prebake <args>` loaded (from the sources), and how it exited. */
function loadedBy(args: string[]) {
  const file = join(dir, `${args.join("_").replace(/\W/g, "")}.txt`);
  const r = spawnSync(process.execPath, ["--import", recorder, main, ...args], {
    encoding: "utf8",
    env: { ...process.env, PREBAKE_RECORD_MODULES: file },
  });
  return { code: r.status, modules: readFileSync(file, "utf8").split("\n") };
}

// What makes a short command slow: the AWS SDK, the Docker client (and its ssh2/gRPC stack), the
// schema and YAML libraries behind the configuration.
const HEAVY = /node_modules\/(@aws-sdk|@smithy|dockerode|docker-modem|ssh2|@grpc|zod|yaml)\//;

describe("what the CLI loads before a command runs", () => {
  it.each([
    { args: ["--help"], code: 0 },
    { args: ["--version"], code: 0 },
    { args: ["layer", "--help"], code: 0 },
    { args: ["frobnicate"], code: 2 },
    { args: ["deploy", "--no-such-option", "ci"], code: 2 },
    { args: ["codebuild", "run", "--timeout"], code: 2 },
  ])("prebake $args loads no SDK, Docker client, schema or YAML library", ({ args, code: expected }) => {
    const { code, modules } = loadedBy(args);
    expect(code).toBe(expected);
    // The recorder saw the CLI itself (so an empty list cannot pass).
    expect(modules.some((m) => m.endsWith("/packages/cli/src/program.ts"))).toBe(true);
    expect(modules.some((m) => m.includes("/node_modules/commander/"))).toBe(true);
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it("a command that runs loads what its work needs", () => {
    // summary of an empty folder: it loads the configuration (zod, yaml) and nothing of AWS or Docker.
    const { code, modules } = loadedBy(["summary", "--dir", dir]);
    expect(code).toBe(0);
    expect(modules.some((m) => m.includes("/node_modules/zod/"))).toBe(true);
    expect(modules.filter((m) => /@aws-sdk|dockerode/.test(m))).toEqual([]);
  });
});
