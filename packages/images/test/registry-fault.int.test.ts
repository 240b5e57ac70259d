/**
 * Fault injection: the registry dies in the middle of a large push. This test starts its OWN
 * docker-registry (own data folder, a port the OS assigns) and kills that process, never the
 * shared one on 5050. The promise: prebake exits 5; the moving tags (1.0, latest) still point
 * where they did, in the registry and in moto's ECR record; after a restart on the same data
 * folder a rerun completes, and the immutable tag's digest is the one dist/images records.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReservedPort, reservePort } from "../../core/test/fault-tools.ts";
import { readImageManifest } from "../src/manifest.ts";
import {
  CLI,
  cleanup,
  makeRoot,
  NODE,
  runCli,
  suffix,
  type TestRoot,
  testContext,
  writeTinyImage,
} from "./fixtures.ts";

const id = suffix();
const NAME = `fault-${id}`;
const REPO = `prebake-test/fault-${id}`;
const BIG_BYTES = 300_000_000; // random, so gzip cannot shrink it: the push takes seconds
const t: TestRoot = makeRoot();
const dataDir = join(t.root, "registry-data");
const configFile = join(t.root, "registry.yml");
let host: string;
let registry: ChildProcess | undefined;
/** This test's registry port, held from the OS until the registry first starts. */
let reserved: ReservedPort | undefined;

/** Start (or restart) this test's registry on its data folder and port; resolves once /v2/ answers. */
async function startRegistry(): Promise<void> {
  await reserved?.release(); // the first start: the port is ours until this moment
  reserved = undefined;
  registry = spawn("/usr/bin/docker-registry", ["serve", configFile], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${host}/v2/`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the test registry on ${host} did not start`);
}

async function killRegistry(): Promise<void> {
  const child = registry;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

const digestOf = async (tag: string) =>
  (
    await fetch(`http://${host}/v2/${REPO}/manifests/${tag}`, {
      method: "HEAD",
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
    })
  ).headers.get("docker-content-digest");

/** Bytes received so far by the registry's in-progress uploads of this repository. */
function uploadedBytes(): number {
  const uploads = join(dataDir, "docker/registry/v2/repositories", REPO, "_uploads");
  if (!existsSync(uploads)) return 0;
  let total = 0;
  for (const upload of readdirSync(uploads)) {
    const data = join(uploads, upload, "data");
    if (existsSync(data)) total += statSync(data).size;
  }
  return total;
}

const env = () => ({ PREBAKE_REGISTRY: host });
const { ctx } = testContext(t.root);

beforeAll(async () => {
  reserved = await reservePort();
  host = `127.0.0.1:${reserved.port}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    configFile,
    `version: 0.1\nlog: { level: warn }\nstorage:\n  filesystem: { rootdirectory: "${dataDir}" }\n  delete: { enabled: true }\nhttp: { addr: "${host}" }\n`,
  );
  await startRegistry();
  writeTinyImage(t, NAME, { repository: REPO });
});

afterAll(async () => {
  await killRegistry();
  const { ctx: own } = testContext(t.root, env());
  await cleanup(t, own); // local images named <host>/<repo>, moto's repository, the test root
});

describe("the registry killed during a large push", () => {
  // One scenario, one test: the kill, the state it leaves and the rerun after the restart are
  // steps of the same story, and a later step only means something after the earlier one.
  let before: string;

  beforeAll(() => {
    // A first, small image is pushed: 1.0 and latest point at it.
    const r = runCli(t.root, ["push", NAME], env());
    expect(r.code, r.stderr).toBe(0);
    before = readImageManifest(t.root, NAME, "1.0")!.digest;
    expect(before).toMatch(/^sha256:/);
  });

  it("prebake exits 5 when the registry dies mid-push, the moving tags stay where they were, and a rerun after the restart completes", async () => {
    writeFileSync(
      join(t.root, "images", NAME, "Dockerfile"),
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN head -c ${BIG_BYTES} /dev/urandom > /opt/big.bin\n`,
    );
    const built = runCli(t.root, ["build-image", NAME], env()); // so the push below only pushes
    expect(built.code, built.stderr).toBe(0);

    const push = spawn(NODE, [CLI, "push", NAME], {
      cwd: t.root,
      env: { ...process.env, CI: "1", ...env() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    push.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => push.on("exit", (code) => resolve(code)));
    // Kill once the big layer is well on its way (tens of MB received), not before it started.
    let killedAt = 0;
    while (push.exitCode === null) {
      killedAt = uploadedBytes();
      if (killedAt > 30_000_000) break;
      await sleep(50);
    }
    expect(push.exitCode, `the push ended before the kill: ${stderr}`).toBeNull();
    await killRegistry();
    const code = await exited;
    expect(code, stderr).toBe(ExitCode.UNAVAILABLE);
    expect(stderr).toContain(`prebake: error: registry ${host}: pushing ${host}/${REPO}:1.0-`);

    await startRegistry(); // same data folder, same port
    expect(await digestOf("1.0")).toBe(before);
    expect(await digestOf("latest")).toBe(before);
    expect(readImageManifest(t.root, NAME, "1.0")!.digest).toBe(before);
    // moto's ECR record (what the lifecycle check reads) was not moved either.
    const images = await ctx.aws(ECRClient).send(new DescribeImagesCommand({ repositoryName: REPO }));
    expect(images.imageDetails?.map((i) => [i.imageDigest, [...(i.imageTags ?? [])].sort()])).toEqual([
      [before, expect.arrayContaining(["1.0", "latest"])],
    ]);

    // After the restart a rerun completes; the immutable tag's digest is the one dist/images records.
    const r = runCli(t.root, ["--json", "push", NAME], env());
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { action: string; digest: string; tags: string[] };
    expect(result.action).toBe("pushed");
    const manifest = readImageManifest(t.root, NAME, "1.0")!;
    expect(manifest.digest).toBe(result.digest);
    expect(manifest.digest).not.toBe(before);
    expect(await digestOf(manifest.tags[0]!)).toBe(manifest.digest);
    expect(await digestOf("1.0")).toBe(manifest.digest);
    expect(await digestOf("latest")).toBe(manifest.digest);
    expect(manifest.sizeBytes).toBeGreaterThan(BIG_BYTES);
  });
});
