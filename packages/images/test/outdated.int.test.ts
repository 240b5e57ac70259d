/**
 * `prebake images outdated` against the real engine and registry: a throw-away base and an image
 * built on it are pushed; rebuilding the base (same tag, new id) makes the image outdated (exit
 * 10), and pushing it again brings it back to date. Unique names; everything is removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { createContext } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadImageDefinition, pushImageVersion } from "../src/index.ts";

const repo = resolve(import.meta.dirname, "../../..");
const id = randomBytes(3).toString("hex");
const NAME = `ob-${id}`;
const REPOSITORY = `prebake-test/ob-${id}`;
const BASE = `prebake-test/ob-base-${id}:1`;
const root = mkdtempSync(join(tmpdir(), "prebake-outdated-"));
const baseIds: string[] = [];

const write = (path: string, text: string) => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
};

/** Build (or rebuild) the throw-away base: same tag, content `marker`. */
function buildBase(marker: string): string {
  const dir = mkdtempSync(join(tmpdir(), "prebake-ob-base-"));
  writeFileSync(join(dir, "Dockerfile"), "FROM prebake/debian:bookworm\nCOPY marker.txt /base-marker.txt\n");
  writeFileSync(join(dir, "marker.txt"), marker);
  const r = spawnSync("docker", ["build", "-q", "-t", BASE, dir], { encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(r.stderr);
  baseIds.push(r.stdout.trim());
  return r.stdout.trim();
}

const outdated = () => {
  const r = spawnSync(
    join(repo, "node_modules/.bin/node"),
    [join(repo, "packages/cli/bin/prebake.js"), "--json", "images", "outdated", NAME],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "1" } },
  );
  return {
    code: r.status,
    stderr: r.stderr,
    rows: JSON.parse(r.stdout || "[]") as Record<string, unknown>[],
  };
};

const ctx = createContext({ cwd: root, quiet: true, env: {} });
const push = () => pushImageVersion(ctx, loadImageDefinition(join(root, "images"), NAME), "1.0");

beforeAll(() => {
  write("prebake.config.yaml", "profile: local\n");
  write(
    `images/${NAME}/image.yaml`,
    `name: ${NAME}\nrepository: ${REPOSITORY}\ndefaultVersion: "1.0"\nbase: { local: "${BASE}" }\nversions: { "1.0": {}, "2.0": {} }\n`,
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG, not a template
  write(`images/${NAME}/Dockerfile`, "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.txt /app.txt\n");
  write(`images/${NAME}/app.txt`, "the app\n");
});

afterAll(async () => {
  await ctx
    .aws(ECRClient)
    .send(new DeleteRepositoryCommand({ repositoryName: REPOSITORY, force: true }))
    .catch(() => undefined);
  for (const image of await ctx.docker().listImages()) {
    if ((image.RepoTags ?? []).some((t) => t.includes(REPOSITORY)))
      await ctx
        .docker()
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  for (const baseId of [...baseIds].reverse())
    await ctx
      .docker()
      .getImage(baseId)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("prebake images outdated", () => {
  it("reacts to a rebuilt base: exit 0 after the push, 10 once the base moves, 0 again after pushing", async () => {
    const first = buildBase("one\n");
    await push();
    const fresh = outdated();
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.rows.map((r) => [r.version, r.state, r.rebuildDue])).toEqual([
      ["1.0", "up to date", false],
      ["2.0", "not pushed", false], // never pushed: listed, not due
    ]);
    expect(fresh.rows[0]).toMatchObject({ base: BASE, builtOn: first, current: first });

    const second = buildBase("two: the base got its security fixes\n");
    expect(second).not.toBe(first);
    const stale = outdated();
    expect(stale.code).toBe(10);
    expect(stale.rows[0]).toMatchObject({
      state: "base changed",
      rebuildDue: true,
      builtOn: first,
      current: second,
    });
    expect(stale.stderr).toMatch(/base changed\n/); // the table (human output is on stderr under --json)
    expect(stale.stderr.trim().split("\n").at(-1)).toBe(
      `prebake: error: images/: 1 image(s) need a rebuild: ${NAME} 1.0 (base changed) (fix: prebake push ${NAME} --all-versions, or in AWS: prebake codebuild rebuild-images)`,
    );

    const again = await push();
    expect(again.action).toBe("pushed"); // the new base changed the content hash: rebuilt and pushed
    const rebuilt = outdated();
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.rows[0]).toMatchObject({ state: "up to date", builtOn: second, current: second });
  });
});
