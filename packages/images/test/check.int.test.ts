/**
 * `prebake images check` on the real engine, registry and moto, with images pushed by the test under
 * unique repositories: the repo's python-layer image, the erlang-otp image built from stand-in
 * sources (as erlang-otp-image.int.test.ts builds it), a tiny image with a curl on its PATH, and a
 * multi-architecture index. Each check pulls into its own throw-away dockerd, under a folder the
 * test owns, which must be gone afterwards; the shared engine is only asked, never changed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { distPaths } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkImage } from "../src/check.ts";
import { loadImageDefinition } from "../src/definition.ts";
import { pushImageVersion } from "../src/release.ts";
import { writeFakeOtpSource, writeFakeRebar3Escript } from "./fixtures/erlang-otp/fake-toolchain.ts";
import { type FixtureServer, serveDirectory } from "./fixtures/erlang-otp/server.ts";
import {
  CLI,
  makeRoot,
  NODE,
  runCli,
  suffix,
  type TestRoot,
  testContext,
  writeTinyImage,
} from "./fixtures.ts";
import { expectHostBridgeIntact } from "./host-network.ts";
import { copyRepoImage } from "./repo-image.ts";

const _REPO_ROOT = resolve(import.meta.dirname, "../../..");
const id = suffix();
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);
const registry = ctx.config.profile.registry!;
const MANIFEST_TYPES =
  "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
let downloads: string;
let server: FixtureServer;

/** A copy of images/<name> under a unique repository. */
function copyImage(name: string): string {
  const repository = `prebake-test/${name}-${id}`;
  copyRepoImage(t.root, name, { repository });
  t.repos.push(repository);
  return repository;
}

/**
 * A folder for one check's throw-away engine; the check must leave it empty, no process using it,
 * the host's docker0 in place and no bridge of its own behind.
 */
function engineDir(): string {
  return mkdtempSync(join(tmpdir(), "prebake-check-test-"));
}
async function expectEngineGone(dir: string): Promise<void> {
  expect(readdirSync(dir)).toEqual([]);
  const users = readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    });
  expect(users).toEqual([]);
  await expectHostBridgeIntact();
  rmSync(dir, { recursive: true, force: true });
}

/** Compressed size as the registry stores the image: config plus layers of its manifest. */
async function registryBytes(repository: string, digest: string): Promise<number> {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, {
    headers: { accept: MANIFEST_TYPES },
  });
  const m = (await res.json()) as { config: { size: number }; layers: { size: number }[] };
  return m.config.size + m.layers.reduce((n, l) => n + l.size, 0);
}

beforeAll(async () => {
  downloads = mkdtempSync(join(tmpdir(), "prebake-check-downloads-"));
  server = await serveDirectory(downloads);
});

afterAll(async () => {
  const ecr = ctx.aws(ECRClient);
  const docker = ctx.docker();
  for (const repo of new Set(t.repos)) {
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: repo, force: true })).catch(() => undefined);
    const tags = (await fetch(`http://${registry}/v2/${repo}/tags/list`)
      .then((r) => r.json())
      .catch(() => ({}))) as { tags?: string[] | null };
    for (const tag of tags.tags ?? []) {
      const head = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
        method: "HEAD",
        headers: { accept: MANIFEST_TYPES },
      }).catch(() => undefined);
      const digest = head?.headers.get("docker-content-digest");
      if (digest) await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" });
    }
    // Untag only (no force): python-layer's and erlang-otp's layers are shared with images others made.
    for (const image of await docker.listImages()) {
      for (const tag of image.RepoTags ?? []) {
        if (tag.startsWith(`${registry}/${repo}:`))
          await docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
      }
    }
  }
  await server?.close();
  rmSync(downloads, { recursive: true, force: true });
  rmSync(t.root, { recursive: true, force: true });
});

describe("images check", () => {
  it("python-layer: one architecture, sh but no curl, wget or git (not Lambda-ready), sizes and the empty-engine pull", async () => {
    const repository = copyImage("python-layer");
    const pushed = await pushImageVersion(
      ctx,
      loadImageDefinition(join(t.root, "images"), "python-layer"),
      "3.11",
    );
    const dir = engineDir();
    const check = await checkImage(ctx, "python-layer", { workDir: dir });
    await expectEngineGone(dir);
    expect(check).toMatchObject({
      name: "python-layer",
      version: "3.11",
      uri: `${registry}/${repository}@${pushed.digest}`,
      platforms: ["linux/amd64"],
      singleArchitecture: true,
      tools: { curl: undefined, wget: undefined, git: undefined },
      lambdaCompute: {
        ready: false,
        problems: ["neither curl nor wget inside: Lambda compute needs one of them"],
      },
    });
    expect(check.tools.sh).toMatch(/^\/usr\/(local\/)?s?bin\/sh$|^\/s?bin\/sh$/);
    expect(check.compressedBytes).toBe(await registryBytes(repository, pushed.digest!));
    // The same image in the shared engine (the push built it there) has the same unpacked size, to
    // within a few KB: for a BuildKit-built image, Engine 20.10 counts 1,800 bytes less than a fresh
    // engine that pulls it (226,493,809 against 226,495,609 here; a classic build matched exactly).
    const local = await ctx.docker().getImage(pushed.uri!).inspect();
    expect(Math.abs(check.uncompressedBytes - local.Size)).toBeLessThan(64 * 1024);
    expect(check.uncompressedBytes).toBeGreaterThan(check.compressedBytes);
    expect(check.emptyEnginePullMs).toBeGreaterThan(0);
  });

  it("Ctrl-C during the pull: exit 130, the engine stopped, its folder and bridge deleted, docker0 kept", async () => {
    // Its own push (a no-op when another test pushed the same content already): no test here
    // relies on another one having run first.
    copyImage("python-layer");
    await pushImageVersion(ctx, loadImageDefinition(join(t.root, "images"), "python-layer"), "3.11");
    const dir = engineDir();
    const child = spawn(NODE, [CLI, "images", "check", "python-layer", "--work-dir", dir], {
      cwd: t.root,
      env: { ...process.env, CI: "1" },
    });
    let output = "";
    const pulling = new Promise<void>((resolve) => {
      const read = (d: Buffer) => {
        output += d.toString();
        if (output.includes("into the empty engine")) resolve();
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await Promise.race([pulling, exited]);
    expect(output).toContain("into the empty engine");
    expect(readdirSync(dir)).toHaveLength(1); // the engine is running
    child.kill("SIGINT");
    expect(await exited, output).toBe(130);
    expect(output).toContain("interrupted, cleaning up");
    await expectEngineGone(dir);
  });

  it("erlang-otp (stand-in OTP sources): the CLI prints the report and the verdict, exit 0", async () => {
    copyImage("erlang-otp");
    const def = loadImageDefinition(join(t.root, "images"), "erlang-otp");
    const otp = writeFakeOtpSource(downloads, { version: "27.1" });
    const rebar3 = writeFakeRebar3Escript(downloads, def.buildArgs.REBAR3_VERSION!);
    await pushImageVersion(ctx, def, "27.1", {
      buildArgs: {
        OTP_URL: server.url(otp.file),
        OTP_SHA256: otp.sha256,
        REBAR3_URL: server.url(rebar3.file),
        REBAR3_SHA256: rebar3.sha256,
      },
    });
    const dir = engineDir();
    const r = runCli(t.root, ["images", "check", "erlang-otp", "--version", "27.1", "--work-dir", dir]);
    await expectEngineGone(dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ +platform +linux\/amd64 \(single architecture\)$/),
        expect.stringMatching(/^ +tools +sh: \/\S+\/sh, curl: missing, wget: missing, git: missing$/),
        expect.stringMatching(/^ +size +[\d.]+ MB compressed \(pulled\), [\d.]+ MB uncompressed$/),
        expect.stringMatching(/^ +pull +[\d.]+(ms|s) into an empty engine/),
      ]),
    );
    expect(`${r.stdout}${r.stderr}`).toContain(
      "warning: Lambda compute: not ready: neither curl nor wget inside: Lambda compute needs one of them",
    );
  });

  it("an image with curl on its PATH is Lambda-ready; a dangling wget symlink and a git directory do not count", async () => {
    const name = `curl-${id}`;
    writeTinyImage(t, name, {
      repository: `prebake-test/curl-${id}`,
      dockerfile: `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY curl /usr/local/bin/curl
RUN chmod 0755 /usr/local/bin/curl && ln -s /nonexistent/wget /usr/local/bin/wget && mkdir /usr/local/bin/git
`,
      files: { curl: "#!/bin/sh\necho 'curl (stand-in)'\n" },
    });
    await pushImageVersion(ctx, loadImageDefinition(join(t.root, "images"), name), "1.0");
    const dir = engineDir();
    const r = runCli(t.root, ["--json", "images", "check", name, "--work-dir", dir, "--require-lambda"]);
    await expectEngineGone(dir);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      command: "images check",
      platforms: ["linux/amd64"],
      tools: { curl: "/usr/local/bin/curl" },
      lambdaCompute: { ready: true, problems: [] },
    });
    expect(result.tools.wget).toBeUndefined();
    expect(result.tools.git).toBeUndefined();
  });

  it("a multi-architecture index is not Lambda-ready: --require-lambda exits 4 naming the architectures", async () => {
    const name = `multi-${id}`;
    const repository = `prebake-test/multi-${id}`;
    writeTinyImage(t, name, { repository });
    const pushed = await pushImageVersion(ctx, loadImageDefinition(join(t.root, "images"), name), "1.0");
    // An index naming the pushed image for linux/amd64 and (as a stand-in for a second build) linux/arm64,
    // plus a BuildKit attestation entry, which is not an architecture.
    const child = await fetch(`http://${registry}/v2/${repository}/manifests/${pushed.digest}`, {
      headers: { accept: MANIFEST_TYPES },
    });
    const childBytes = Buffer.from(await child.arrayBuffer());
    const entry = (platform: object, annotations?: object) => ({
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      digest: pushed.digest,
      size: childBytes.length,
      platform,
      ...(annotations ? { annotations } : {}),
    });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
        manifests: [
          entry({ architecture: "amd64", os: "linux" }),
          entry({ architecture: "arm64", os: "linux", variant: "v8" }),
          entry(
            { architecture: "unknown", os: "unknown" },
            { "vnd.docker.reference.type": "attestation-manifest" },
          ),
        ],
      }),
    );
    const put = await fetch(`http://${registry}/v2/${repository}/manifests/multi`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.docker.distribution.manifest.list.v2+json" },
      body: index,
    });
    expect(put.status).toBe(201);
    const indexDigest = put.headers.get("docker-content-digest")!;
    const record = distPaths.imageManifest(t.root, name, "1.0");
    writeFileSync(record, readFileSync(record, "utf8").replaceAll(pushed.digest!, indexDigest));

    const dir = engineDir();
    const r = runCli(t.root, ["--json", "images", "check", name, "--work-dir", dir, "--require-lambda"]);
    await expectEngineGone(dir);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^ +platform +linux\/amd64, linux\/arm64\/v8 \(2 architectures\)$/m);
    expect(r.stderr.trim().split("\n").pop()).toBe(
      `prebake: error: ${registry}/${repository}@${indexDigest}: not ready for CodeBuild's Lambda compute: ` +
        "2 architectures (linux/amd64, linux/arm64/v8): Lambda compute runs single-architecture images only; " +
        "neither curl nor wget inside: Lambda compute needs one of them " +
        "(fix: build a single-architecture image with curl or wget installed, push it, check again)",
    );
    // The report is still written; its compressed size is the amd64 image's, the one a pull on x86_64 transfers.
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      platforms: ["linux/amd64", "linux/arm64/v8"],
      singleArchitecture: false,
      compressedBytes: await registryBytes(repository, pushed.digest!),
    });
  });

  it("an image never pushed from this checkout: one line, exit 3, with the push to run", () => {
    const name = `never-${id}`;
    writeTinyImage(t, name, { repository: `prebake-test/never-${id}` });
    const r = runCli(t.root, ["images", "check", name]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      `prebake: error: images/${name}: ${name} 1.0 was never pushed from this checkout (no dist/images record) (fix: push it first: prebake push ${name})`,
    );
  });
});
