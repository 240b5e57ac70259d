import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, SPLIT_OUT } from "../bundle/bundle.ts";

const repo = resolve(import.meta.dirname, "../../..");
const recorder = resolve(import.meta.dirname, "fixtures/record-modules.mjs");
const work = mkdtempSync(join(tmpdir(), "prebake-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// `npm test` bundles first (scripts/test.sh); a run of this file alone builds what is stale.
beforeAll(async () => {
  await bundle("cli");
}, 300_000);

describe("the bundled CLI", () => {
  it("--help from the split build reads its entry and the registrars, not the SDK (under 300 KB of it)", () => {
    const record = join(work, "help-modules.txt");
    const r = spawnSync(process.execPath, ["--import", recorder, join(repo, SPLIT_OUT), "--help"], {
      encoding: "utf8",
      env: { ...process.env, PREBAKE_RECORD_MODULES: record },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("codebuild");
    const files = readFileSync(record, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file://"))
      .map((u) => new URL(u).pathname);
    expect(files[0]).toBe(join(repo, SPLIT_OUT));
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    // The whole CLI is about 5 MB: this is what keeps --help near Node's own start-up.
    expect(bytes).toBeLessThan(300_000);
  });

  it("the layer commands' bundle (the python-layer image's) has them alone, the same bytes from the same inputs", async () => {
    // Its own outputs: --force builds both, so the image's context (images/python-layer/build) is untouched.
    const a = await bundle("layer", join(work, "a/prebake-layer.mjs"), true);
    const b = await bundle("layer", join(work, "b/prebake-layer.mjs"), true);
    expect(a.built && b.built).toBe(true);
    expect(b.sha256).toBe(a.sha256);
    const help = spawnSync(process.execPath, [join(work, "a/prebake-layer.mjs"), "--help"], {
      encoding: "utf8",
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/\n {2}layer /);
    expect(help.stdout).not.toMatch(/\n {2}(deploy|codebuild|push) /);
  }, 120_000);

  it("runs a local CodeBuild build from a folder outside the repository, with Node and the one file alone", () => {
    // What an app developer in another repository has: the .mjs copied anywhere, Node 24, Docker.
    const elsewhere = join(work, "elsewhere");
    const app = join(work, "app");
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(app, { recursive: true });
    copyFileSync(join(repo, "dist/cli/prebake.mjs"), join(elsewhere, "prebake.mjs"));
    writeFileSync(
      join(app, "buildspec.yml"),
      "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built by $CODEBUILD_BUILD_ID > out.txt\n" +
        "      - cat out.txt\nartifacts:\n  files: [out.txt]\n",
    );
    const r = spawnSync(
      process.execPath,
      [
        "prebake.mjs",
        "codebuild",
        "run",
        "-i",
        "prebake/debian:bookworm",
        "-s",
        app,
        "-a",
        join(work, "out"),
      ],
      {
        cwd: elsewhere,
        encoding: "utf8",
        // Nothing of this repository is reachable: no node_modules on the way up from /tmp, none here.
        env: { PATH: process.env.PATH, HOME: work, CI: "true", PREBAKE_HISTORY_DIR: join(work, "history") },
      },
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toContain("built by ");
    expect(readFileSync(join(work, "out", "artifacts", "out.txt"), "utf8")).toMatch(/^built by \S+:\S+/);
  });
});
