import { resolve } from "node:path";
import { Writable } from "node:stream";
import { CodeBuildClient, CreateProjectCommand, DeleteProjectCommand } from "@aws-sdk/client-codebuild";
import { ConfigError, createContext, ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedProjectName, runRemoteBuild } from "../src/index.ts";

// Against moto's CodeBuild. Its CloudFormation does not create CodeBuild projects, so the test
// creates one with the SDK. moto 5.2 answers StartBuild/BatchGetBuilds with ISO date strings where
// the API has epoch numbers, which the JavaScript SDK refuses to deserialize ("Expected real number"),
// so a started build cannot be followed against the emulator; the follow logic's pure parts are
// unit-tested in remote.test.ts, and what can run against moto runs here.
const repo = resolve(import.meta.dirname, "../../..");
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _e, cb) {
    lines.push(String(chunk));
    cb();
  },
});
const ctx = createContext({ cwd: repo, stdout: sink, tty: false, env: {} });
const cb = ctx.aws(CodeBuildClient);
const projectName = `prebake-test-remote-${process.pid}`;

beforeAll(async () => {
  await cb.send(
    new CreateProjectCommand({
      name: projectName,
      source: { type: "S3", location: "prebake-test-bucket/source.zip" },
      artifacts: { type: "NO_ARTIFACTS" },
      environment: {
        type: "LINUX_CONTAINER",
        image: "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
        computeType: "BUILD_GENERAL1_SMALL",
      },
      serviceRole: "arn:aws:iam::123456789012:role/prebake-test",
    }),
  );
});
afterAll(async () => {
  await cb.send(new DeleteProjectCommand({ name: projectName })).catch(() => undefined);
});

describe("remote runner against moto's CodeBuild", () => {
  it("an unknown project is one ConfigError line (exit 3)", async () => {
    const err = await runRemoteBuild(ctx, { projectName: "no-such-project", wait: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.CONFIG);
    expect((err as ConfigError).toLine()).toContain("no CodeBuild project 'no-such-project'");
  });

  it("maps <stack>/<LogicalId> to the deployed project's name", () => {
    expect(deployedProjectName(repo, "prebake", "ci/ErlangAppProject")).toBe("prebake-ci-erlang-app");
  });
});
