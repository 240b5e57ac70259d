/**
 * The layer build's image goes through @prebake/images: without a pushed record it is built by the
 * same path as `prebake build-image` (validated definition, content-hash tag); a pushed record is
 * used only when the registry confirms it; a stale record stops `prebake layer build` with exit 9.
 * Real engine, registry (127.0.0.1:5050) and moto; the image definition is a copy of
 * images/python-layer under a unique repository, so the shared prebake/python-layer is not touched.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { type Context, createContext, distPaths, RefusedError } from "@prebake/core";
import { buildImageVersion, loadImageDefinition, pushImageVersion } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { resolveLayerImage } from "../src/image.ts";
import { type HostPipConfig, readHostPipConfig, resolvePipIndex } from "../src/pip.ts";

const REPO = resolve(import.meta.dirname, "..", "..", "..");
const id = randomBytes(3).toString("hex");
const REPOSITORY = `prebake-test/python-layer-${id}`;
const LAYER = `li-${id}`;
let root: string;
let ctx: Context;
let hostPip: HostPipConfig | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prebake-layer-image-"));
  copyRepoImage(root, "python-layer", { repository: REPOSITORY });
  await cp(join(REPO, "layers", "common-utils"), join(root, "layers", LAYER), { recursive: true });
  const layerYaml = join(root, "layers", LAYER, "layer.yaml");
  await writeFile(
    layerYaml,
    (await readFile(layerYaml, "utf8")).replace(/^name: common-utils$/m, `name: ${LAYER}`),
  );
  ctx = createContext({ cwd: root, quiet: true, env: {} });
  hostPip = await readHostPipConfig(root);
});

afterAll(async () => {
  await ctx
    .aws(ECRClient)
    .send(new DeleteRepositoryCommand({ repositoryName: REPOSITORY, force: true }))
    .catch(() => undefined);
  const registry = ctx.config.profile.registry!;
  for (const image of await ctx.docker().listImages()) {
    const refs = [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])];
    if (refs.some((r) => r.startsWith(`${registry}/${REPOSITORY}`))) {
      // Untag only: the layers are the shared python-layer image's (same content hash).
      for (const tag of image.RepoTags ?? []) {
        if (tag.startsWith(`${registry}/${REPOSITORY}`)) {
          await ctx
            .docker()
            .getImage(tag)
            .remove({ noprune: true })
            .catch(() => undefined);
        }
      }
    }
  }
  await rm(root, { recursive: true, force: true });
});

describe("the python-layer image through @prebake/images", () => {
  it("no pushed record: built by the build-image path, tagged with its content hash", async () => {
    // Its own state: whichever test ran before, there is no pushed record.
    await rm(distPaths.imageManifest(root, "python-layer", "3.11"), { force: true });
    const ref = await resolveLayerImage(ctx, "3.11");
    const def = loadImageDefinition(join(root, "images"), "python-layer");
    const again = await buildImageVersion(ctx, def, "3.11");
    expect(again.action).toBe("skipped"); // the same content hash: resolveLayerImage built exactly this
    expect(ref).toBe(again.uri);
    expect(ref).toMatch(new RegExp(`^127\\.0\\.0\\.1:5050/${REPOSITORY}:3\\.11-[a-f0-9]{12}$`));
  });

  it("inside the image, activation alone gives prebake: the layer builds with no network at all", async () => {
    // What the layer project's buildspec does in CodeBuild: install sources activate, build runs
    // prebake layer build. --network none: nothing is installed or fetched. The machine's pip
    // indexes stand in for PyPI (mounted read-only, named in PIP_* variables).
    const image = await resolveLayerImage(ctx, "3.11");
    const index = resolvePipIndex("local", "pip", () => hostPip);
    const r = spawnSync(
      "docker",
      [
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${root}:/src`,
        ...index.mounts.flatMap((m) => ["-v", `${m}:${m}:ro`]),
        "-e",
        `PIP_INDEX_URL=${index.indexUrl}`,
        "-e",
        `PIP_EXTRA_INDEX_URL=${index.extraIndexUrls.join(" ")}`,
        "-e",
        `PIP_FIND_LINKS=${index.findLinks.join(" ")}`,
        "-e",
        "PREBAKE_PROFILE=aws",
        "-e",
        "PREBAKE_HISTORY_DIR=/tmp/history",
        "-w",
        "/src",
        image,
        "sh",
        "-c",
        `. /opt/python-layer/activate && command -v prebake && prebake layer build ${LAYER}`,
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain("/opt/python-layer/bin/prebake");
    expect(r.stdout + r.stderr).toContain("building in this machine (inside the python-layer image)");
    expect(readdirSync(join(root, "dist", "layers", LAYER)).filter((f) => f.endsWith(".zip"))).not.toEqual(
      [],
    );
  });

  it("a pushed record the registry confirms: its digest-pinned uri", async () => {
    const def = loadImageDefinition(join(root, "images"), "python-layer");
    const pushed = await pushImageVersion(ctx, def, "3.11");
    expect(await resolveLayerImage(ctx, "3.11")).toBe(`127.0.0.1:5050/${REPOSITORY}@${pushed.digest}`);
  });

  it("a stale record (digest not in the registry) stops the layer build with exit 9 and the fix", async () => {
    // Its own record (a no-op push when the other test pushed already), then made stale.
    await pushImageVersion(ctx, loadImageDefinition(join(root, "images"), "python-layer"), "3.11");
    const file = distPaths.imageManifest(root, "python-layer", "3.11");
    const good = await readFile(file, "utf8");
    const digest = JSON.parse(good).digest as string;
    const gone = `sha256:${"0".repeat(64)}`;
    await writeFile(file, good.replaceAll(digest, gone));
    try {
      const err = await resolveLayerImage(ctx, "3.11").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RefusedError);
      const r = spawnSync(
        join(REPO, "node_modules/.bin/node"),
        [join(REPO, "packages/cli/bin/prebake.js"), "layer", "build", LAYER],
        { cwd: root, encoding: "utf8", env: { ...process.env, CI: "1" }, timeout: 300_000 },
      );
      expect(r.status).toBe(9);
      expect(r.stderr.trim()).toBe(
        `prebake: error: dist/images/python-layer-3.11.json: ${gone} is not in registry 127.0.0.1:5050 (repository ${REPOSITORY}) (fix: push the image again: prebake push python-layer)`,
      );
    } finally {
      await writeFile(file, good);
    }
  });
});
