import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { createContext } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CliRun,
  containersOf,
  containersWithLabel,
  Gates,
  HoldingProxy,
  holdBlobUploads,
  runCli,
} from "../../core/test/fault-tools.ts";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { makeTestIndex } from "../../layers/test/test-index.ts";

/**
 * Signals at every long step, against the real engine, registry, pip and moto: the real CLI runs in a
 * throwaway project; each step is held open by a gate (an HTTP request on loopback that is not
 * answered yet), the test waits for the line that shows the step started, sends the signal, and
 * then checks the exit code, that no container of that run is left, and that a rerun succeeds.
 */
const id = randomBytes(3).toString("hex");
const BUILT = `sig-build-${id}`;
const PUSHED = `sig-push-${id}`;
const LAYER = `sig-layer-${id}`;
const SLOW = `sig-smoke-${id}`;
const MODULE = `slowimport_${id}`;
const SIGNALS = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const;

let root: string;
const gates = new Gates();
const proxy = new HoldingProxy({ host: "127.0.0.1", port: 5050 }, holdBlobUploads);

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function imageYaml(name: string, extraArgs: string): string {
  return `name: ${name}
repository: prebake-test/${name}
description: signal test image
platform: linux/amd64
defaultVersion: "1.0"
base: { local: "prebake/debian:bookworm" }
buildArgs: { ${extraArgs} }
versions:
  "1.0": { buildArgs: { LINE: one } }
  "2.0": { buildArgs: { LINE: two } }
lifecycle: { keepPerVersion: 3, untaggedExpireDays: 7 }
`;
}

function layerYaml(name: string, extra = ""): string {
  return `name: ${name}
requirements: requirements.txt
pythonVersions: ["3.11"]
architectures: [x86_64]
index: ${gates.url("/pypi/simple")}
${extra}`;
}

/** A bash command that waits until the gate opens. */
const waitOnGate = (gate: string) =>
  `exec 3<>/dev/tcp/127.0.0.1/${gates.port} && printf 'GET /gate/${gate} HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;

beforeAll(async () => {
  gates.pypiRoot = mkdtempSync(join(tmpdir(), "prebake-signals-index-"));
  await makeTestIndex(gates.pypiRoot, ["six-1.17.0-py2.py3-none-any.whl"]);
  await gates.start();
  await proxy.start();
  root = mkdtempSync(join(tmpdir(), "prebake-signals-"));
  write("prebake.config.yaml", `project: sig${id}\n`);
  copyRepoImage(root, "python-layer");

  // An image whose RUN step waits on the "build" gate. LABEL before RUN puts the run id on the
  // step's intermediate container, so the test can look for it after the build was stopped.
  write(`images/${BUILT}/image.yaml`, imageYaml(BUILT, "RUN_ID: none"));
  write(
    `images/${BUILT}/Dockerfile`,
    `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG RUN_ID
LABEL prebake.test.build=\${RUN_ID}
RUN echo "step-started-$RUN_ID" && bash -c "${waitOnGate("build").replaceAll('"', '\\"')}"
`,
  );
  write(`images/${PUSHED}/image.yaml`, imageYaml(PUSHED, "GREETING: hi"));
  write(
    `images/${PUSHED}/Dockerfile`,
    "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nARG LINE\nRUN echo $LINE > /line\n",
  );

  write(`layers/${LAYER}/layer.yaml`, layerYaml(LAYER));
  write(`layers/${LAYER}/requirements.txt`, "six==1.17.0\n");
  write(`layers/${SLOW}/layer.yaml`, layerYaml(SLOW, "source: python\n"));
  write(`layers/${SLOW}/requirements.txt`, "six==1.17.0\n");
  // Importing the layer's own package waits on the "import" gate: the smoke test holds there.
  write(
    `layers/${SLOW}/python/${MODULE}/__init__.py`,
    `import urllib.request\nurllib.request.urlopen("${gates.url("/gate/import")}", timeout=600).read()\n`,
  );

  write(
    "src/buildspec.yml",
    `version: 0.2
env:
  shell: bash
phases:
  build:
    commands:
      - echo "build-$((6 * 7))-started"
      - ${JSON.stringify(waitOnGate("codebuild"))}
`,
  );
  gates.release("pypi");
});

afterAll(async () => {
  await gates.stop();
  await proxy.stop();
  for (const tag of ["1.0", "2.0", "latest"]) {
    const digest = await tagDigest(tag);
    if (digest)
      await fetch(`http://127.0.0.1:5050/v2/prebake-test/${PUSHED}/manifests/${digest}`, {
        method: "DELETE",
      });
  }
  const ctx = createContext({ cwd: root });
  for (const name of [BUILT, PUSHED]) {
    const repository = `prebake-test/${name}`;
    await ctx
      .aws(ECRClient)
      .send(new DeleteRepositoryCommand({ repositoryName: repository, force: true }))
      .catch(() => undefined);
    for (const image of await ctx.docker().listImages()) {
      const refs = [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])];
      if (refs.some((r) => r.includes(`/${repository}:`) || r.includes(`/${repository}@`)))
        await ctx
          .docker()
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  }
  rmSync(root, { recursive: true, force: true });
  if (gates.pypiRoot) rmSync(gates.pypiRoot, { recursive: true, force: true });
});

/** The digest a tag of the pushed image points at in the real registry, or null. */
async function tagDigest(tag: string): Promise<string | null> {
  const r = await fetch(`http://127.0.0.1:5050/v2/prebake-test/${PUSHED}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  return r.ok ? r.headers.get("docker-content-digest") : null;
}

/** Start the CLI, wait until the step runs (its line is printed and its gate holds a request), signal it. */
async function stopDuring(
  args: string[],
  started: RegExp,
  signal: NodeJS.Signals,
  env: NodeJS.ProcessEnv = {},
) {
  const run = new CliRun(root, args, env);
  await run.waitFor(started);
  await new Promise((ok) => setTimeout(ok, 300)); // the step is under way, not just announced
  const code = await run.stop(signal);
  return { code, pid: run.pid, output: run.output };
}

describe("a signal at each long step leaves nothing behind, and a rerun succeeds", () => {
  describe.each(SIGNALS)("%s (exit %i)", (signal, exitCode) => {
    it("prebake build-image, during a RUN step: the engine cancels the build, its step container is gone", async () => {
      const runId = `${id}-${signal.toLowerCase()}`;
      const args = ["build-image", BUILT, "--build-arg", `RUN_ID=${runId}`];
      gates.close("build");
      const stopped = await stopDuring(args, new RegExp(`step-started-${runId}`), signal);
      expect(stopped.code, stopped.output).toBe(exitCode);
      expect(containersWithLabel(`prebake.test.build=${runId}`)).toEqual([]);
      gates.release("build");
      const again = await runCli(root, args);
      expect(again.code, again.output).toBe(0);
    });

    it("prebake push, while the registry receives the layers: nothing is left, the rerun pushes", async () => {
      const version = signal === "SIGINT" ? "1.0" : "2.0";
      const env = { PREBAKE_REGISTRY: proxy.host };
      proxy.holding = true;
      const before = { version: await tagDigest(version), latest: await tagDigest("latest") };
      const stopped = await stopDuring(["push", PUSHED, "--version", version], /: pushing/, signal, env);
      expect(stopped.code, stopped.output).toBe(exitCode);
      expect(containersOf(stopped.pid)).toEqual([]);
      // The moving tags are where they were: the push was stopped before it could move them.
      expect({ version: await tagDigest(version), latest: await tagDigest("latest") }).toEqual(before);
      proxy.release();
      const again = await runCli(root, ["push", PUSHED, "--version", version], env);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain(`pushed ${version}-`);
      // The rerun's immutable tag holds the digest its manifest records.
      const manifest = JSON.parse(
        readFileSync(join(root, "dist", "images", `${PUSHED}-${version}.json`), "utf8"),
      ) as { tags: string[]; digest: string };
      expect(await tagDigest(manifest.tags[0]!)).toBe(manifest.digest);
      expect(await tagDigest(version)).toBe(manifest.digest);
    });

    it("prebake layer build, while pip resolves: the build container is removed", async () => {
      gates.close("pypi");
      const stopped = await stopDuring(
        ["layer", "build", LAYER, "--force"],
        /building in a .* container/,
        signal,
      );
      expect(stopped.code, stopped.output).toBe(exitCode);
      expect(containersOf(stopped.pid)).toEqual([]);
      gates.release("pypi");
      const again = await runCli(root, ["layer", "build", LAYER, "--force"]);
      expect(again.code, again.output).toBe(0);
    });

    it("prebake layer build, during the import smoke test: the test container is removed", async () => {
      gates.close("import");
      const stopped = await stopDuring(["layer", "build", SLOW, "--force"], /import test of /, signal);
      expect(stopped.code, stopped.output).toBe(exitCode);
      expect(containersOf(stopped.pid)).toEqual([]);
      gates.release("import");
      const again = await runCli(root, ["layer", "build", SLOW, "--force"]);
      expect(again.code, again.output).toBe(0);
    });
  });

  describe.each([...SIGNALS, ["SIGHUP", 129] as const])("%s (exit %i)", (signal, exitCode) => {
    it("prebake codebuild run, during a build command: the build container is removed", async () => {
      gates.close("codebuild");
      const args = ["codebuild", "run", "-i", "prebake/debian:bookworm", "-s", join(root, "src")];
      const stopped = await stopDuring(args, /build-42-started/, signal);
      expect(stopped.code, stopped.output).toBe(exitCode);
      expect(containersOf(stopped.pid)).toEqual([]);
      gates.release("codebuild");
      const again = await runCli(root, args);
      expect(again.code, again.output).toBe(0);
    });
  });
});
