import { describe, expect, it } from "vitest";
import { engineReference, registryScheme } from "../src/target.ts";

const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const auth = { username: "AWS", password: "p", serveraddress: "127.0.0.1:5052" };

describe("the aws profile's ecrRegistry mapping", () => {
  it("rewrites a reference on ECR's host to the mapped address, with the credentials", () => {
    const target = { host: ECR, address: "127.0.0.1:5052", auth };
    expect(engineReference(target, `${ECR}/prebake/erlang-otp@sha256:abc`)).toEqual({
      reference: "127.0.0.1:5052/prebake/erlang-otp@sha256:abc",
      auth,
    });
    expect(engineReference(target, `${ECR}/team/base:1`).reference).toBe("127.0.0.1:5052/team/base:1");
  });

  it("leaves every other registry as named, anonymously (public bases)", () => {
    const target = { host: ECR, address: "127.0.0.1:5052", auth };
    for (const other of [
      "public.ecr.aws/amazonlinux/amazonlinux:2023",
      `${ECR}.evil.example/x:1`, // ECR's host as a prefix of another host is not ECR
      "prebake/debian:bookworm",
    ]) {
      expect(engineReference(target, other)).toEqual({ reference: other, auth: undefined });
    }
  });

  it("without a mapping (ECR itself, or the local profile) the reference is unchanged", () => {
    const ecr = { host: ECR, address: ECR, auth };
    expect(engineReference(ecr, `${ECR}/r@sha256:abc`)).toEqual({ reference: `${ECR}/r@sha256:abc`, auth });
    const local = { host: "127.0.0.1:5050", address: "127.0.0.1:5050", auth: undefined };
    expect(engineReference(local, "127.0.0.1:5050/r:1")).toEqual({
      reference: "127.0.0.1:5050/r:1",
      auth: undefined,
    });
  });

  it("plain HTTP for loopback registries only, as the engine does; HTTPS for ECR and mirrors", () => {
    for (const loopback of ["127.0.0.1:5052", "127.1.2.3", "localhost:5000", "[::1]:5000"]) {
      expect(registryScheme(loopback), loopback).toBe("http");
    }
    for (const remote of [ECR, "ecr-mirror.corp.example:8443", "10.0.0.5:5000", "127.0.0.1.example:5000"]) {
      expect(registryScheme(remote), remote).toBe("https");
    }
  });
});
