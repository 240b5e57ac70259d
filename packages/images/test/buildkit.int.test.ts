import { createHash, randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseBuilder } from "../src/build.ts";
import { cleanup, makeRoot, runCli, suffix, type TestRoot, testContext, writeTinyImage } from "./fixtures.ts";

// Real Docker engine (BuildKit through the Engine API), registry and moto; unique names per run.
const id = suffix();
const NAME = `bk-${id}`;
const REPO = `prebake-test/bk-${id}`;
const TOKEN = `mirror-token-${randomBytes(12).toString("hex")}`;
const TOKEN_VAR = `PREBAKE_TEST_TOKEN_${id.replace(/\W/g, "_").toUpperCase()}`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);
const registry = ctx.config.profile.registry!;

beforeAll(() => {
  writeTinyImage(t, NAME, {
    repository: REPO,
    // The step checks the secret by its hash, so the value itself is in no instruction either.
    // The cache mount's id is this test's own: what an earlier build left there is what it sees.
    dockerfile: `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG LINE
RUN --mount=type=secret,id=mirror_token,required=true \\
    echo "${sha(TOKEN)}  /run/secrets/mirror_token" | sha256sum -c - && echo "line \${LINE}: secret ok"
RUN --mount=type=cache,id=prebake-test-${id},target=/cache \\
    sh -c 'ls /cache > /seen-in-cache; date > /cache/build-\${LINE}'
`,
  });
  appendFileSync(`${t.root}/images/${NAME}/image.yaml`, `secrets:\n  mirror_token: { env: ${TOKEN_VAR} }\n`);
});
afterAll(async () => {
  await cleanup(t, ctx);
});

/** What a command prints in a container of the image (a TTY: one plain stream, no multiplexing). */
const run = async (ref: string, cmd: string) => {
  const container = await ctx.docker().createContainer({ Image: ref, Cmd: ["sh", "-c", cmd], Tty: true });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return logs.toString("utf8").replace(/\r\n/g, "\n");
  } finally {
    await container.remove({ force: true });
  }
};

/** The version's image in the local engine: the immutable tag the push built, <version>-<hash12>. */
const localRef = async (version: string) => {
  const images = await ctx.docker().listImages();
  const tag = images
    .flatMap((i) => i.RepoTags ?? [])
    .find((r) => r.startsWith(`${registry}/${REPO}:${version}-`));
  if (!tag) throw new Error(`no local image of ${REPO} ${version}`);
  return tag;
};

// 1.0, pushed once with the secret set, is every test's starting point (they run shuffled).
let pushed: ReturnType<typeof runCli>;
beforeAll(() => {
  pushed = runCli(t.root, ["--verbose", "push", NAME, "--version", "1.0"], { [TOKEN_VAR]: TOKEN });
});

describe("BuildKit builds: build secrets and cache mounts", () => {
  it("this engine builds with BuildKit", async () => {
    expect(await chooseBuilder(ctx, {})).toBe("buildkit");
  });

  it("a secret reaches the RUN that mounts it, and nothing of it reaches the image, its history, its labels or the output", async () => {
    const r = pushed;
    expect(r.code, r.stderr).toBe(ExitCode.OK);
    expect(`${r.stdout}${r.stderr}`).toContain("line one: secret ok");
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);

    const ref = await localRef("1.0");
    const image = ctx.docker().getImage(ref);
    const history = await image.history();
    const inspect = await image.inspect();
    expect(JSON.stringify(history)).not.toContain(TOKEN);
    expect(JSON.stringify(inspect)).not.toContain(TOKEN);
    expect(JSON.stringify(history)).toContain("sha256sum -c"); // the step is there, its secret is not
    expect(
      await run(
        ref,
        "ls /run/secrets 2>&1; grep -rl mirror-token / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | head -3; echo end",
      ),
    ).toMatch(/^(ls: .*No such file or directory\n)?end\n$/);
    // And the registry's copy: the config blob the manifest names holds no trace of it either.
    const manifest = (await (
      await fetch(`http://${registry}/v2/${REPO}/manifests/1.0`, {
        headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      })
    ).json()) as { config: { digest: string } };
    const config = await (
      await fetch(`http://${registry}/v2/${REPO}/blobs/${manifest.config.digest}`)
    ).text();
    expect(config).not.toContain(TOKEN);
  });

  it("a required secret that is not set fails the step, naming it; exit 8", () => {
    // A LINE of its own: a new content hash, and the secret's step is not in the layer cache (a
    // cached step needs no secret, and a shuffled order may have built 2.0 already).
    const r = runCli(t.root, ["push", NAME, "--version", "2.0", "--build-arg", `LINE=unset-${id}`], {
      [TOKEN_VAR]: "",
    });
    expect(r.code).toBe(ExitCode.BUILD_FAILED);
    expect(`${r.stdout}${r.stderr}`).toContain(`secrets.mirror_token: $${TOKEN_VAR} is not set`);
    expect(r.stderr.split("\n").find((l) => l.startsWith("prebake: error:"))).toMatch(
      /Step 2\/3 : RUN --mount=type=secret,id=mirror_token.* failed \(secret mirror_token not found/,
    );
  });

  it("a cache mount outlives the build that filled it, and stays out of the image", async () => {
    const r = runCli(t.root, ["push", NAME, "--version", "2.0"], { [TOKEN_VAR]: TOKEN });
    expect(r.code, r.stderr).toBe(ExitCode.OK);
    // 2.0's build saw what 1.0's left in the cache; neither image carries the cache itself.
    expect(await run(await localRef("2.0"), "cat /seen-in-cache; ls /cache | wc -l")).toBe("build-one\n0\n");
    expect(await run(await localRef("1.0"), "cat /seen-in-cache; ls /cache | wc -l")).toBe("0\n");
  });

  it("with the classic builder chosen, a Dockerfile with RUN --mount is refused before building (exit 8)", () => {
    const r = runCli(t.root, ["push", NAME, "--version", "2.0", "--force"], {
      [TOKEN_VAR]: TOKEN,
      PREBAKE_BUILDER: "legacy",
    });
    expect(r.code).toBe(ExitCode.BUILD_FAILED);
    expect(r.stderr).toContain("the Dockerfile uses RUN --mount, which only BuildKit builds");
  });
});
