import { resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  DeleteProjectCommand,
} from "@aws-sdk/client-codebuild";
import { ConfigError, createContext, ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedProjectName, runRemoteBuild } from "../src/index.ts";

// Against moto's CodeBuild. Its CloudFormation does not create CodeBuild projects, so the test
// creates one with the SDK. moto 5.2 runs no build: StartBuild returns a build whose phases all
// say SUCCEEDED on the next BatchGetBuilds, so the failure paths are unit-tested (remote.test.ts).
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

/**
 * moto 5.2 writes CodeBuild's timestamps as ISO strings where the API has epoch seconds, and the
 * JavaScript SDK refuses them ("Expected real number"). This test-only adapter rewrites those
 * fields in the emulator's raw response, before the SDK deserializes it; the production client is
 * unchanged and talks to CodeBuild as is.
 */
function acceptMotoTimestamps(client: CodeBuildClient): void {
  const isTime = (key: string) => /(Time|^created|^lastModified)$/.test(key);
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [
          k,
          isTime(k) && typeof x === "string" && !Number.isNaN(Date.parse(x)) ? Date.parse(x) / 1000 : fix(x),
        ]),
      );
    }
    return v;
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { body: Readable; headers: Record<string, string> };
      const chunks: Buffer[] = [];
      for await (const c of response.body) chunks.push(Buffer.from(c));
      const text = Buffer.concat(chunks).toString("utf8");
      let body = text;
      try {
        body = JSON.stringify(fix(JSON.parse(text)));
      } catch {
        // not JSON (an error page): pass it through
      }
      response.body = Readable.from([Buffer.from(body)]);
      response.headers["content-length"] = String(Buffer.byteLength(body));
      return out;
    },
    { step: "deserialize", priority: "low", name: "prebakeTestMotoTimestamps" },
  );
}

beforeAll(async () => {
  acceptMotoTimestamps(cb);
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
  it("starts a build with overrides and follows it to its end, printing every phase", async () => {
    lines.length = 0;
    const result = await runRemoteBuild(ctx, {
      projectName,
      image: "127.0.0.1:5050/prebake/erlang-otp:27.3.4.1",
      env: { GREETING: "hi" },
      buildspec: "version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n",
      wait: true,
      pollMs: 50,
    });
    expect(result.buildId).toMatch(new RegExp(`^${projectName}:`));
    expect(result.status).toBe("SUCCEEDED");
    expect(result.phases.map((p) => p.name)).toEqual([
      "SUBMITTED",
      "QUEUED",
      "PROVISIONING",
      "DOWNLOAD_SOURCE",
      "INSTALL",
      "PRE_BUILD",
      "BUILD",
      "POST_BUILD",
      "UPLOAD_ARTIFACTS",
      "FINALIZING",
    ]);
    const text = lines.join("");
    expect(text).toMatch(/INSTALL\s+SUCCEEDED/);
    expect(text).toContain(`build ${result.buildId} succeeded`);
  });

  it("--no-wait returns the build id at once; the build is there to look up", async () => {
    const result = await runRemoteBuild(ctx, { projectName, wait: false });
    expect(result.phases).toEqual([]);
    const found = await cb.send(new BatchGetBuildsCommand({ ids: [result.buildId] }));
    expect(found.builds?.[0]?.projectName).toBe(projectName);
  });

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
