import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import {
  assertDockerAvailable,
  awsCallLog,
  classifyAwsError,
  createAwsClient,
  createDockerClient,
  loadConfig,
  UnavailableError,
} from "../src/index.ts";
import { closedPort } from "./fault-tools.ts";

// Talks to the real local services started by scripts/local-env.sh (moto on 5060, the Docker engine).
const config = loadConfig({ env: {} });

describe("clients against the local services", () => {
  it("an AWS client from the local profile reaches the emulator, and the call is recorded", async () => {
    const before = awsCallLog.length;
    const sts = createAwsClient(STSClient, config.profile);
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe("123456789012");
    expect(awsCallLog.slice(before)).toEqual([{ service: "STS", command: "GetCallerIdentityCommand" }]);
  });

  it("an unreachable endpoint becomes one UnavailableError line, after the SDK's own retries", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sts = createAwsClient(STSClient, { ...config.profile, endpoint });
    const err = await sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    const mapped = classifyAwsError(err, { ...config.profile, endpoint });
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect((mapped as UnavailableError).toLine()).toContain(endpoint);
  });

  it("the Docker engine answers; a wrong socket is reported with the fix", async () => {
    await assertDockerAvailable(createDockerClient(config.profile));
    const missing = createDockerClient({ ...config.profile, dockerSocket: "/nonexistent/docker.sock" });
    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      await expect(assertDockerAvailable(missing)).rejects.toThrow(UnavailableError);
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
  });
});
