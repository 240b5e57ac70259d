import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldingProxy, runCli } from "../../core/test/fault-tools.ts";

/**
 * Item 5 of issue 9: the engine reports a failed pull inside a 200 response. The image's manifest is
 * in the real registry, but a proxy in front of it fails every blob download, so the pull starts,
 * then fails mid-stream. The runner must see that event (exit 3 with the engine's message), not
 * carry on to a create that fails for a reason nobody can act on.
 */
const id = randomBytes(3).toString("hex");
const REPO = `prebake-test/pull-${id}`;
const pushed = `127.0.0.1:5050/${REPO}:1`;
const proxy = new HoldingProxy(
  { host: "127.0.0.1", port: 5050 },
  () => false,
  (req) => req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? ""),
);
let root: string;

beforeAll(async () => {
  await proxy.start();
  // An image the engine has no part of (its own config and layer), pushed, then removed locally:
  // pulling it back needs its blobs from the registry.
  root = mkdtempSync(join(tmpdir(), "prebake-pull-"));
  writeFileSync(join(root, "Dockerfile"), `FROM prebake/debian:bookworm\nRUN echo ${id} > /unique\n`);
  for (const args of [
    ["build", "-q", "-t", pushed, root],
    ["push", pushed],
    ["rmi", pushed],
  ]) {
    const r = spawnSync("docker", args, { encoding: "utf8", env: { ...process.env, DOCKER_BUILDKIT: "0" } });
    if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  }
  writeFileSync(join(root, "prebake.config.yaml"), `project: pull${id}\n`);
  mkdirSync(join(root, "src"));
  writeFileSync(
    join(root, "src", "buildspec.yml"),
    "version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n",
  );
});

afterAll(async () => {
  await proxy.stop();
  const head = await fetch(`http://127.0.0.1:5050/v2/${REPO}/manifests/1`, {
    method: "HEAD",
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  const digest = head.headers.get("docker-content-digest");
  if (digest) await fetch(`http://127.0.0.1:5050/v2/${REPO}/manifests/${digest}`, { method: "DELETE" });
  spawnSync("docker", ["rmi", `${proxy.host}/${REPO}:1`]);
  rmSync(root, { recursive: true, force: true });
});

describe("pulling the build image", () => {
  it("a pull that fails mid-stream is exit 3 with the engine's message (the in-stream error event is read)", async () => {
    const image = `${proxy.host}/${REPO}:1`;
    const r = await runCli(root, ["codebuild", "run", "-i", image, "-s", join(root, "src")]);
    expect(r.code, r.output).toBe(3);
    expect(r.output).toContain(
      `prebake: error: --image: image ${image} is neither in the engine nor pullable (`,
    );
    expect(r.output).not.toContain("internal error");
  });
});
