/**
 * `codebuild run --project` takes an image project's image through @prebake/images'
 * resolvePushedImage: the pushed uri, confirmed in the real registry (127.0.0.1:5050); a stale
 * dist/images record is refused (exit 9) before any container exists.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createContext, distPaths } from "@prebake/core";
import { loadImageDefinition, pushImageVersion } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../../images/test/fixtures.ts";
import { imageParameterTemplate, testImageFiles } from "../../images/test/image-project.ts";

const repo = resolve(import.meta.dirname, "../../..");
const id = Math.random().toString(36).slice(2, 8);
const REPOSITORY = `prebake-test/cb-${id}`;
const root = mkdtempSync(join(tmpdir(), "prebake-cb-project-"));
const write = (path: string, text: string) => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
};
write("prebake.config.yaml", "profile: local\n");
const tool = testImageFiles("tool", {
  repository: REPOSITORY,
  file: { name: "marker.txt", text: `baked-${id}\n` },
});
for (const [path, text] of Object.entries(tool)) write(path, text);
write(
  "stacks/app/stack.yaml",
  `${imageParameterTemplate("CodeBuildImage", "aws/codebuild/amazonlinux2-x86_64-standard:5.0")}Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: app-build
      ServiceRole: arn:aws:iam::123456789012:role/none
      Artifacts: { Type: NO_ARTIFACTS }
      Source: { Type: NO_SOURCE, BuildSpec: buildspec.yml }
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: !Ref CodeBuildImage
`,
);
write("src/buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - cat /marker.txt\n");

const ctx = createContext({ cwd: root, quiet: true, env: {} });
const manifestFile = distPaths.imageManifest(root, "tool", "1.0");
let uri: string;

const prebake = (args: string[]) => {
  const r = spawnSync(
    join(repo, "node_modules/.bin/node"),
    [join(repo, "packages/cli/bin/prebake.js"), ...args],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
      timeout: 300_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
};

beforeAll(async () => {
  const pushed = await pushImageVersion(ctx, loadImageDefinition(join(root, "images"), "tool"), "1.0");
  uri = pushed.uri!;
});

afterAll(async () => {
  await cleanup({ root, repos: [REPOSITORY] }, ctx);
});

describe("codebuild run --project with an image project", () => {
  it("builds in the pushed image the registry confirms, naming the record it came from", () => {
    const r = prebake(["--json", "codebuild", "run", "--project", "app/Build", "-s", "src"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`project app/Build: image ${uri} (dist/images/tool-1.0.json)`);
    expect(r.stderr).toContain(`baked-${id}`);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "SUCCEEDED" });
  });

  it("a record whose digest is not in the registry exits 9 before any container is made", () => {
    const good = readFileSync(manifestFile, "utf8");
    const digest = uri.slice(uri.indexOf("@") + 1);
    const gone = `sha256:${"0".repeat(64)}`;
    writeFileSync(manifestFile, good.replaceAll(digest, gone));
    try {
      const r = prebake(["codebuild", "run", "--project", "app/Build", "-s", "src"]);
      expect(r.code).toBe(9);
      expect(r.stderr.trim()).toBe(
        `prebake: error: dist/images/tool-1.0.json: ${gone} is not in registry 127.0.0.1:5050 (repository ${REPOSITORY}) (fix: push the image again: prebake push tool)`,
      );
      const containers = spawnSync(
        "docker",
        ["ps", "-aq", "--filter", `label=prebake.codebuild.pid=${r.pid}`],
        { encoding: "utf8" },
      ).stdout.trim();
      expect(containers).toBe("");
    } finally {
      writeFileSync(manifestFile, good);
    }
  });
});
