import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ConfigError, createContext } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { rebuildImagesInCodeBuild, rebuildTarget } from "../src/index.ts";

// moto's S3 for the upload; the build start then meets moto's CodeBuild, which has no such project.
function project(outputs: Record<string, string> | undefined) {
  const root = mkdtempSync(join(tmpdir(), "prebake-rebuild-"));
  writeFileSync(join(root, "nx.json"), "{}");
  writeFileSync(join(root, "README.md"), "the committed tree\n");
  execFileSync("git", ["init", "-q"], { cwd: root });
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", "add", "."], { cwd: root });
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"], { cwd: root });
  if (outputs) {
    mkdirSync(join(root, "dist", "stacks"), { recursive: true });
    writeFileSync(
      join(root, "dist", "stacks", "image-rebuild.json"),
      JSON.stringify({ outputs, parameters: { SourceObjectKey: "source/prebake.zip" } }),
    );
  }
  return root;
}

describe("image rebuild in CodeBuild", () => {
  it("refuses with the fix when the image-rebuild stack's outputs are unknown", () => {
    const err = (() => {
      try {
        rebuildTarget(project(undefined));
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.toLine()).toContain("dist/stacks/image-rebuild.json");
    expect(err!.toLine()).toContain("prebake deploy image-rebuild");
  });

  it("uploads the committed tree to the source bucket, then starts the project", async () => {
    const bucket = `prebake-test-rebuild-${process.pid}`;
    const root = project({
      SourceBucketName: bucket,
      RebuildProjectName: `prebake-test-missing-${process.pid}`,
    });
    const ctx = createContext({ cwd: root, quiet: true, env: {} });
    await ctx.aws(S3Client).send(new CreateBucketCommand({ Bucket: bucket }));
    const err = await rebuildImagesInCodeBuild(ctx, { wait: false }).catch((e: unknown) => e);
    // The upload happened: the zip of HEAD is in the bucket.
    const obj = await ctx
      .aws(S3Client)
      .send(new GetObjectCommand({ Bucket: bucket, Key: "source/prebake.zip" }));
    const bytes = await obj.Body!.transformToByteArray();
    expect(Buffer.from(bytes.slice(0, 2)).toString()).toBe("PK");
    // And the start named the project it could not find.
    expect((err as ConfigError).toLine()).toContain(
      `no CodeBuild project 'prebake-test-missing-${process.pid}'`,
    );
  });
});
