import { resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  DeleteProjectCommand,
} from "@aws-sdk/client-codebuild";
import { ConfigError, createContext, ExitCode, UnavailableError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldingProxy } from "../../core/test/fault-tools.ts";
import { deployedProjectName, runRemoteBuild } from "../src/index.ts";
import { FollowDeadline, readLogPage } from "../src/remote.ts";

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
    expect(deployedProjectName(repo, "prebake", "ci/HelloErlangAppProject")).toBe("prebake-ci-hello-erlang");
  });
});

describe("remote runner faults", () => {
  it("a build CodeBuild never reports finished ends in exit 5 naming CodeBuild, at the follow deadline", async () => {
    // moto behind a proxy that holds every BatchGetBuilds: CodeBuild accepted the build, then stays silent.
    const proxy = await new HoldingProxy({ host: "127.0.0.1", port: 5060 }, (req) =>
      String(req.headers["x-amz-target"] ?? "").endsWith("BatchGetBuilds"),
    ).start();
    try {
      const silent = createContext({
        cwd: repo,
        stdout: sink,
        tty: false,
        env: { PREBAKE_AWS_ENDPOINT: `http://${proxy.host}` },
      });
      acceptMotoTimestamps(silent.aws(CodeBuildClient));
      const started = Date.now();
      const err = await runRemoteBuild(silent, { projectName, wait: true, followTimeoutMs: 3000 }).catch(
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).exitCode).toBe(ExitCode.UNAVAILABLE);
      expect((err as UnavailableError).toLine()).toMatch(
        new RegExp(
          `^CodeBuild build ${projectName}:[^:]+: CodeBuild did not report the build finished within 3 s`,
        ),
      );
      expect(proxy.heldCount).toBeGreaterThan(0);
    } finally {
      proxy.release();
      await proxy.stop();
    }
  });

  describe("log lines", () => {
    const logs = ctx.aws(CloudWatchLogsClient);
    const group = `/aws/codebuild/prebake-test-logs-${process.pid}`;
    beforeAll(async () => {
      await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "build-1" }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: "build-1",
          logEvents: [{ timestamp: Date.now(), message: "[Container] running" }],
        }),
      );
    });
    afterAll(async () => {
      await logs.send(new DeleteLogGroupCommand({ logGroupName: group })).catch(() => undefined);
    });
    const page = (logStreamName: string, nextToken?: string) =>
      readLogPage(ctx, new FollowDeadline(30_000, "a test build"), {
        logGroupName: group,
        logStreamName,
        nextToken,
      });

    it("reads a page; a stream that does not exist yet is no page (the build container has not started)", async () => {
      expect((await page("build-1"))?.events?.map((e) => e.message)).toEqual(["[Container] running"]);
      expect(await page("not-yet")).toBeUndefined();
    });

    it("any other log error is an error (exit 5 naming the log stream), not silence", async () => {
      const err = await page("build-1", "not-a-token").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).toLine()).toContain(
        `CloudWatch Logs ${group}/build-1: cannot read the build's log (InvalidParameterException`,
      );
    });
  });
});
