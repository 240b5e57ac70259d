import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, distPaths, RefusedError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadImageDefinition } from "../src/definition.ts";
import { pushImageVersion } from "../src/pipeline.ts";
import { resolvePushedImage } from "../src/resolve.ts";
import { cleanup, makeRoot, suffix, type TestRoot, testContext, writeTinyImage } from "./fixtures.ts";

// resolvePushedImage against the real registry (127.0.0.1:5050) and moto's ECR: the record in
// dist/images is only believed when the registry has the digest and the policy keeps it.
const id = suffix();
const NAME = `resolve-${id}`;
const REPO = `prebake-test/resolve-${id}`;
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);
const registry = ctx.config.profile.registry!;
const manifestFile = distPaths.imageManifest(t.root, NAME, "1.0");
const def = () => loadImageDefinition(join(t.root, "images"), NAME);

async function refusal(): Promise<RefusedError> {
  const err = await resolvePushedImage(ctx, NAME).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RefusedError);
  expect((err as RefusedError).exitCode).toBe(9);
  expect((err as RefusedError).where).toBe(`dist/images/${NAME}-1.0.json`);
  expect((err as RefusedError).fix).toBe(`push the image again: prebake push ${NAME}`);
  return err as RefusedError;
}

beforeAll(() => {
  writeTinyImage(t, NAME, { repository: REPO, keepPerVersion: 1 });
});
afterAll(async () => {
  await cleanup(t, ctx);
});

describe("resolvePushedImage", () => {
  let firstRecord: string;
  let firstDigest: string;

  it("never pushed from this checkout: undefined (the caller keeps its other sources)", async () => {
    expect(await resolvePushedImage(ctx, NAME)).toBeUndefined();
  });

  it("a fresh push resolves to its digest-pinned uri, confirmed in the registry", async () => {
    const pushed = await pushImageVersion(ctx, def(), "1.0");
    const resolved = await resolvePushedImage(ctx, NAME);
    expect(resolved).toEqual({
      name: NAME,
      version: "1.0",
      repository: REPO,
      registry,
      digest: pushed.digest,
      uri: `${registry}/${REPO}@${pushed.digest}`,
      tags: pushed.tags,
      manifestFile: `dist/images/${NAME}-1.0.json`,
    });
    firstRecord = readFileSync(manifestFile, "utf8");
    firstDigest = pushed.digest!;
  });

  it("refuses a record the lifecycle policy is about to expire (keep 1, a newer image in its line)", async () => {
    writeFileSync(join(t.root, "images", NAME, "hello.txt"), "newer\n");
    await pushImageVersion(ctx, def(), "1.0");
    writeFileSync(manifestFile, firstRecord); // an older checkout's record
    const err = await refusal();
    expect(err.message).toBe(`the lifecycle policy of ${REPO} is about to expire ${firstDigest} (rule 1)`);
  });

  it("refuses a record whose digest is gone from the registry", async () => {
    const res = await fetch(`http://${registry}/v2/${REPO}/manifests/${firstDigest}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    const err = await refusal();
    expect(err.message).toBe(`${firstDigest} is not in registry ${registry} (repository ${REPO})`);
  });

  it("an unreadable record is a config error naming the file", async () => {
    writeFileSync(manifestFile, JSON.stringify({ name: NAME, version: "1.0", uri: "x" }));
    const err = await resolvePushedImage(ctx, NAME).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toContain(`dist/images/${NAME}-1.0.json: not an image manifest:`);
  });
});
