import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError, distPaths, RefusedError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { loadImageDefinition } from "../src/definition.ts";
import { pushImageVersion } from "../src/release.ts";
import { resolvePushedImage } from "../src/resolve.ts";
import { cleanup, makeRoot, suffix, type TestRoot, testContext, writeTinyImage } from "./fixtures.ts";

// resolvePushedImage against the real registry (127.0.0.1:5050) and moto's ECR: the record in
// dist/images is only believed when the registry has the digest and the policy keeps it.
// Each test has an image (and repository) of its own, so none depends on what another pushed.
const id = suffix();
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);
const registry = ctx.config.profile.registry!;

/** A tiny image definition of the test's own (keep 1 image per version line). */
function image(label: string) {
  const name = `resolve-${label}-${id}`;
  const repo = `prebake-test/resolve-${label}-${id}`;
  writeTinyImage(t, name, { repository: repo, keepPerVersion: 1 });
  return {
    name,
    repo,
    manifestFile: distPaths.imageManifest(t.root, name, "1.0"),
    def: () => loadImageDefinition(join(t.root, "images"), name),
  };
}

async function refusal(name: string): Promise<RefusedError> {
  const err = await resolvePushedImage(ctx, name).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RefusedError);
  expect((err as RefusedError).exitCode).toBe(9);
  expect((err as RefusedError).where).toBe(`dist/images/${name}-1.0.json`);
  expect((err as RefusedError).fix).toBe(`push the image again: prebake push ${name}`);
  return err as RefusedError;
}

afterAll(async () => {
  await cleanup(t, ctx);
});

describe("resolvePushedImage", () => {
  it("never pushed from this checkout: undefined (the caller keeps its other sources)", async () => {
    const { name } = image("never");
    expect(await resolvePushedImage(ctx, name)).toBeUndefined();
  });

  it("a fresh push resolves to its digest-pinned uri, confirmed in the registry", async () => {
    const { name, repo, def } = image("fresh");
    const pushed = await pushImageVersion(ctx, def(), "1.0");
    const resolved = await resolvePushedImage(ctx, name);
    expect(resolved).toEqual({
      name,
      version: "1.0",
      repository: repo,
      registry,
      digest: pushed.digest,
      uri: `${registry}/${repo}@${pushed.digest}`,
      tags: pushed.tags,
      manifestFile: `dist/images/${name}-1.0.json`,
    });
  });

  it("refuses a record the lifecycle policy is about to expire (keep 1, a newer image in its line)", async () => {
    const { name, repo, manifestFile, def } = image("expiring");
    const first = await pushImageVersion(ctx, def(), "1.0");
    const firstRecord = readFileSync(manifestFile, "utf8");
    writeFileSync(join(t.root, "images", name, "hello.txt"), "newer\n");
    await pushImageVersion(ctx, def(), "1.0");
    writeFileSync(manifestFile, firstRecord); // an older checkout's record
    const err = await refusal(name);
    expect(err.message).toBe(`the lifecycle policy of ${repo} is about to expire ${first.digest} (rule 1)`);
  });

  it("refuses a record whose digest is gone from the registry", async () => {
    const { name, repo, def } = image("gone");
    const { digest } = await pushImageVersion(ctx, def(), "1.0");
    const res = await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    const err = await refusal(name);
    expect(err.message).toBe(`${digest} is not in registry ${registry} (repository ${repo})`);
  });

  it("an unreadable record is a config error naming the file", async () => {
    const { name, manifestFile } = image("unreadable");
    mkdirSync(dirname(manifestFile), { recursive: true });
    writeFileSync(manifestFile, JSON.stringify({ name, version: "1.0", uri: "x" }));
    const err = await resolvePushedImage(ctx, name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toContain(`dist/images/${name}-1.0.json: not an image manifest:`);
  });
});
