import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { artifactsTarget, checkBaseDirectory } from "../src/artifacts.ts";
import { parseBuildspec, parseSecretReference } from "../src/index.ts";
import { followDeadlineMs } from "../src/remote.ts";

const spec = (artifacts: string) =>
  parseBuildspec(
    `version: 0.2\nphases:\n  build:\n    commands: [echo]\nartifacts:\n${artifacts}`,
    "buildspec.yml",
  );

describe("secrets-manager references", () => {
  it("splits a name reference on its colons", () => {
    expect(parseSecretReference("ci/db:password:AWSCURRENT")).toEqual({
      secretId: "ci/db",
      jsonKey: "password",
      versionStage: "AWSCURRENT",
      versionId: undefined,
    });
    expect(parseSecretReference("ci/db")).toMatchObject({ secretId: "ci/db", jsonKey: undefined });
  });

  it("reads an ARN as one secret id first (it has colons of its own), then the key, stage and id", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ci/db-AbCdEf";
    expect(parseSecretReference(arn)).toEqual({
      secretId: arn,
      jsonKey: undefined,
      versionStage: undefined,
      versionId: undefined,
    });
    expect(parseSecretReference(`${arn}:password::v-1`)).toEqual({
      secretId: arn,
      jsonKey: "password",
      versionStage: undefined,
      versionId: "v-1",
    });
    expect(
      parseSecretReference("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x:k").secretId,
    ).toBe("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x");
  });
});

describe("artifact paths stay in their folders (the resolved path is checked)", () => {
  it("refuses a name that climbs out of -a, or is absolute (exit 3, naming the field)", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "prebake-art-")), "a", "b");
    for (const name of ["../../tmp/escaped", "ok/../../x", "/tmp/elsewhere"]) {
      const err = (() => {
        try {
          return artifactsTarget(spec(`  files: [x]\n  name: ${name}\n`), dir);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(3);
      expect((err as ConfigError).toLine()).toMatch(
        /^buildspec\.yml: artifacts\.name: '.*' leaves the artifacts folder .*\/a\/b \(fix: /,
      );
    }
    expect(artifactsTarget(spec("  files: [x]\n  name: bundle/v1\n"), dir)).toBe(join(dir, "bundle", "v1"));
    expect(artifactsTarget(spec("  files: [x]\n"), dir)).toBe(join(dir, "artifacts"));
  });

  it("refuses a name that leaves through a symlink inside the artifacts folder", () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-art-"));
    mkdirSync(join(root, "out"));
    symlinkSync("/tmp", join(root, "out", "link"));
    expect(() => artifactsTarget(spec("  files: [x]\n  name: link/escaped\n"), join(root, "out"))).toThrow(
      "leaves the artifacts folder",
    );
  });

  it("refuses a base-directory that leaves the source folder", () => {
    const src = "/codebuild/output/src/src";
    expect(() => checkBaseDirectory(spec("  files: [x]\n  base-directory: ../../etc\n"), src)).toThrow(
      "'../../etc' leaves the source folder",
    );
    expect(() => checkBaseDirectory(spec("  files: [x]\n  base-directory: /etc\n"), src)).toThrow(
      ConfigError,
    );
    expect(() =>
      checkBaseDirectory(spec("  files: [x]\n  base-directory: build/../out\n"), src),
    ).not.toThrow();
  });
});

describe("remote follow deadline", () => {
  it("is the build's own queue and run timeouts plus a margin", () => {
    expect(followDeadlineMs({ timeoutInMinutes: 30, queuedTimeoutInMinutes: 60 })).toBe(100 * 60_000);
    expect(followDeadlineMs(undefined)).toBe((60 + 480 + 10) * 60_000);
  });
});
