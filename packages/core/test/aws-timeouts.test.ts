/**
 * Deadlines on AWS calls: a server that accepts the connection and never answers (what a hung
 * emulator or a black-holed proxy looks like) must become one UnavailableError naming the
 * endpoint, after the client's request timeout and the SDK's own retries, never a hang.
 */
import { createServer, type Server, type Socket } from "node:net";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  classifyAwsError,
  createAwsClient,
  parseConfig,
  type ResolvedProfile,
  requestTimeoutFor,
  UnavailableError,
} from "../src/index.ts";

let silent: Server;
const sockets = new Set<Socket>();
let endpoint = "";

beforeAll(async () => {
  // Accepts, reads, never writes a byte back.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const profileFor = (timeouts: ResolvedProfile["timeouts"]): ResolvedProfile => ({
  name: "local",
  kind: "local",
  region: "us-east-1",
  endpoint,
  registry: "127.0.0.1:5050",
  dockerSocket: undefined,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  accountId: "123456789012",
  timeouts,
});

describe("AWS client deadlines", () => {
  it("an endpoint that never answers is one UnavailableError (exit 5) naming it and the deadline", async () => {
    const profile = profileFor({ connectMs: 1000, requestMs: 1000, stackMs: 60_000 });
    const sts = createAwsClient(STSClient, profile);
    const err = await sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    const mapped = classifyAwsError(err, profile);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect((mapped as UnavailableError).exitCode).toBe(5);
    expect((mapped as UnavailableError).toLine()).toMatch(
      new RegExp(
        `^${endpoint.replace(/[.:/]/g, "\\$&")}: cannot reach the AWS API \\(it did not answer within 1 s\\)`,
      ),
    );
  });

  it("a request that sends a body gets time for it on top of the deadline", () => {
    const t = { connectMs: 10_000, requestMs: 30_000, stackMs: 3_600_000 };
    expect(requestTimeoutFor(0, t)).toBe(30_000);
    expect(requestTimeoutFor(50 * 1024 * 1024, t)).toBeGreaterThan(30_000 + 300_000);
  });

  it("the profile's timeouts come from prebake.config.yaml, in seconds and minutes; defaults otherwise", () => {
    const parsed = parseConfig(
      "profiles:\n  local:\n    timeouts: { connectSeconds: 2, requestSeconds: 5, stackMinutes: 90 }\n",
      "/r/prebake.config.yaml",
      "/r",
      { env: {} },
    );
    expect(parsed.profile.timeouts).toEqual({ connectMs: 2000, requestMs: 5000, stackMs: 90 * 60_000 });
    const defaults = parseConfig("{}", "/r/prebake.config.yaml", "/r", { env: {} });
    expect(defaults.profile.timeouts).toEqual({ connectMs: 10_000, requestMs: 30_000, stackMs: 60 * 60_000 });
    const bad = (() => {
      try {
        parseConfig(
          "profiles:\n  local:\n    timeouts: { requestSeconds: 0 }\n",
          "/r/prebake.config.yaml",
          "/r",
          {
            env: {},
          },
        );
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad?.toLine()).toMatch(
      /^prebake\.config\.yaml:\d+:\d+: profiles\.local\.timeouts\.requestSeconds: /,
    );
  });
});
