import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliRun, containersOf, FreezableSocketProxy, Gates } from "../../core/test/fault-tools.ts";

/**
 * A Docker engine that stops answering in the middle of a local CodeBuild run: the real engine behind
 * a socket that freezes. prebake must end with exit 5 naming the engine within its deadline (not
 * hang), and say which container it could not remove.
 */
const id = randomBytes(3).toString("hex");
const gates = new Gates();
const engine = new FreezableSocketProxy();
let root: string;

beforeAll(async () => {
  await gates.start();
  await engine.start();
  root = mkdtempSync(join(tmpdir(), "prebake-hung-"));
  writeFileSync(join(root, "prebake.config.yaml"), `project: hung${id}\n`);
  mkdirSync(join(root, "src"));
  writeFileSync(
    join(root, "src", "buildspec.yml"),
    `version: 0.2
env:
  shell: bash
phases:
  build:
    commands:
      - echo "build-$((6 * 7))-started"
      - "exec 3<>/dev/tcp/127.0.0.1/${gates.port} && printf 'GET /gate/never HTTP/1.0\\\\r\\\\n\\\\r\\\\n' >&3 && cat <&3"
`,
  );
});

afterAll(async () => {
  await gates.stop();
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("a Docker engine that stops answering", () => {
  it("ends prebake codebuild run with exit 5 naming the engine, and names the container it could not remove", async () => {
    const run = new CliRun(
      root,
      ["codebuild", "run", "-i", "prebake/debian:bookworm", "-s", join(root, "src")],
      {
        DOCKER_HOST: `unix://${engine.path}`,
        PREBAKE_ENGINE_TIMEOUT_MS: "3000",
      },
    );
    try {
      await run.waitFor(/build-42-started/);
      engine.freeze();
      const frozenAt = Date.now();
      const code = await run.exited;
      expect(Date.now() - frozenAt).toBeLessThan(30_000);
      expect(code, run.output).toBe(5);
      expect(run.output).toMatch(
        new RegExp(
          `prebake: error: Docker engine unix://${engine.path}: the Docker engine did not answer .* within 3 s`,
        ),
      );
      expect(run.output).toMatch(/could not remove container prebake-codebuild-\d+-[0-9a-f]+ .*docker rm -f/);
    } finally {
      engine.thaw();
      const docker = new Docker({ socketPath: "/var/run/docker.sock" });
      // The removal prebake asked for while frozen goes through on thaw; whatever is left goes now.
      await new Promise((ok) => setTimeout(ok, 1000));
      for (const c of containersOf(run.pid))
        await docker
          .getContainer(c)
          .remove({ force: true })
          .catch(() => undefined);
    }
    expect(containersOf(run.pid)).toEqual([]);
  });
});
