import { Readable } from "node:stream";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { describe, expect, it } from "vitest";
import { buildLine, lastBuildIds, syncProject } from "../src/index.ts";

/**
 * CodeBuild's responses as the API reference documents them (JSON 1.1, times in epoch seconds),
 * served to a real SDK client by its request handler: the SDK's own serializer, paginator and
 * deserializer run; only the network is replaced. (The emulator cannot be used: moto 5.2 writes
 * CodeBuild times as ISO strings, which the SDK refuses.)
 */
const T0 = 1_795_000_000; // 2026-11-18T...
function recordedBuild(n: number, status = "SUCCEEDED") {
  const start = T0 + n * 3600;
  const phase = (
    phaseType: string,
    from: number,
    seconds: number | undefined,
    phaseStatus = "SUCCEEDED",
  ) => ({
    phaseType,
    phaseStatus: seconds === undefined ? undefined : phaseStatus,
    startTime: from,
    ...(seconds === undefined ? {} : { endTime: from + seconds, durationInSeconds: seconds }),
  });
  return {
    id: `prebake-ci-erlang-app:b${n}`,
    arn: `arn:aws:codebuild:us-east-1:123456789012:build/prebake-ci-erlang-app:b${n}`,
    buildNumber: n,
    projectName: "prebake-ci-erlang-app",
    buildStatus: status,
    buildComplete: status !== "IN_PROGRESS",
    startTime: start,
    ...(status === "IN_PROGRESS" ? {} : { endTime: start + 47 }),
    environment: { type: "LINUX_CONTAINER", image: "x@sha256:aa", computeType: "BUILD_GENERAL1_SMALL" },
    phases: [
      phase("SUBMITTED", start, 0),
      phase("QUEUED", start, 1),
      phase("PROVISIONING", start + 1, 20),
      phase("DOWNLOAD_SOURCE", start + 21, 2),
      phase("INSTALL", start + 23, 1),
      phase("PRE_BUILD", start + 24, 0),
      phase("BUILD", start + 24, 20, status === "FAILED" ? "FAILED" : "SUCCEEDED"),
      phase("POST_BUILD", start + 44, 1),
      phase("UPLOAD_ARTIFACTS", start + 45, 1),
      phase("FINALIZING", start + 46, 1),
      ...(status === "IN_PROGRESS" ? [] : [{ phaseType: "COMPLETED", startTime: start + 47 }]),
    ],
  };
}

function recordedClient(pages: { ids: string[]; nextToken?: string }[], builds: Record<string, unknown>) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const client = new CodeBuildClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body: string }) => {
        const target = request.headers["x-amz-target"]!.split(".")[1]!;
        const body = JSON.parse(request.body) as Record<string, unknown>;
        calls.push({ target, body });
        let out: unknown;
        if (target === "ListBuildsForProject") {
          out = pages[body.nextToken ? Number(body.nextToken) : 0];
        } else {
          out = { builds: (body.ids as string[]).map((id) => builds[id]), buildsNotFound: [] };
        }
        const text = JSON.stringify(out);
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "application/x-amz-json-1.1", "content-length": String(text.length) },
            body: Readable.from([Buffer.from(text)]),
          },
        };
      },
    } as never,
  });
  return { client, calls };
}

const run = { git: "abc", environment: "prod", profile: "aws" };

describe("history sync on recorded CodeBuild responses", () => {
  const builds = Object.fromEntries(
    [1, 2, 3, 4, 5].map((n) => [
      `prebake-ci-erlang-app:b${n}`,
      recordedBuild(n, n === 4 ? "FAILED" : n === 5 ? "IN_PROGRESS" : "SUCCEEDED"),
    ]),
  );
  const pages = [
    { ids: ["prebake-ci-erlang-app:b5", "prebake-ci-erlang-app:b4"], nextToken: "1" },
    { ids: ["prebake-ci-erlang-app:b3", "prebake-ci-erlang-app:b2"], nextToken: "2" },
    { ids: ["prebake-ci-erlang-app:b1"] },
  ];

  it("follows ListBuildsForProject's pages, newest first, up to --last", async () => {
    const { client, calls } = recordedClient(pages, builds);
    expect(await lastBuildIds(client, "prebake-ci-erlang-app", 3)).toEqual([
      "prebake-ci-erlang-app:b5",
      "prebake-ci-erlang-app:b4",
      "prebake-ci-erlang-app:b3",
    ]);
    expect(calls.map((c) => c.target)).toEqual(["ListBuildsForProject", "ListBuildsForProject"]);
    expect(calls[0]?.body).toMatchObject({ projectName: "prebake-ci-erlang-app", sortOrder: "DESCENDING" });
  });

  it("appends finished builds not in the history yet, oldest first, with phases, status and compute type", async () => {
    const { client, calls } = recordedClient(pages, builds);
    const known = new Set(["prebake-ci-erlang-app:b1"]);
    const lines = await syncProject(client, "prebake-ci-erlang-app", 10, known, run);
    // b5 is still running, b1 is already known.
    expect(lines.map((l) => [l.buildId, l.status])).toEqual([
      ["prebake-ci-erlang-app:b2", "SUCCEEDED"],
      ["prebake-ci-erlang-app:b3", "SUCCEEDED"],
      ["prebake-ci-erlang-app:b4", "FAILED"],
    ]);
    const [first] = lines;
    expect(first).toMatchObject({
      schema: 1,
      kind: "codebuild-remote",
      name: "prebake-ci-erlang-app",
      at: new Date((T0 + 2 * 3600 + 47) * 1000).toISOString(),
      durationMs: 47_000,
      computeType: "BUILD_GENERAL1_SMALL",
      environment: "prod",
      profile: "aws",
    });
    expect(first?.phases?.find((p) => p.name === "PROVISIONING")).toEqual({
      name: "PROVISIONING",
      status: "SUCCEEDED",
      durationMs: 20_000,
    });
    expect(first?.phases?.some((p) => p.name === "COMPLETED")).toBe(false);
    const batch = calls.find((c) => c.target === "BatchGetBuilds");
    expect(batch?.body.ids).toEqual([
      "prebake-ci-erlang-app:b5",
      "prebake-ci-erlang-app:b4",
      "prebake-ci-erlang-app:b3",
      "prebake-ci-erlang-app:b2",
    ]);
  });

  it("a build still in progress is no line", () => {
    expect(buildLine({ id: "x", projectName: "p", buildStatus: "IN_PROGRESS" }, run)).toBeUndefined();
  });
});
