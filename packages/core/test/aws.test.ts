import { describe, expect, it } from "vitest";
import {
  AuthError,
  classifyAwsError,
  ExitCode,
  type ResolvedProfile,
  UnavailableError,
} from "../src/index.ts";

const local: ResolvedProfile = {
  name: "local",
  kind: "local",
  region: "us-east-1",
  endpoint: "http://127.0.0.1:5060",
  registry: "127.0.0.1:5050",
  dockerSocket: undefined,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  accountId: "123456789012",
};
const aws: ResolvedProfile = {
  ...local,
  name: "aws",
  kind: "aws",
  endpoint: undefined,
  credentials: undefined,
};

describe("classifyAwsError", () => {
  it("maps a refused connection (anywhere in the cause chain) to UnavailableError with the local fix", () => {
    const err = Object.assign(new Error("connect"), {
      cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
    });
    const mapped = classifyAwsError(err, local) as UnavailableError;
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped.exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(mapped.toLine()).toContain("http://127.0.0.1:5060");
    expect(mapped.toLine()).toContain("scripts/local-env.sh up");
  });

  it("maps expired tokens to AuthError with the aws fix, naming the resource", () => {
    const err = Object.assign(new Error("The security token included in the request is expired"), {
      name: "ExpiredTokenException",
    });
    const mapped = classifyAwsError(err, aws, "stack prebake-ci") as AuthError;
    expect(mapped).toBeInstanceOf(AuthError);
    expect(mapped.toLine()).toMatch(/^stack prebake-ci: AWS rejected the credentials/);
    expect(mapped.toLine()).toContain("aws sso login");
  });

  it("maps a missing credential chain to AuthError", () => {
    const err = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(classifyAwsError(err, aws)).toBeInstanceOf(AuthError);
  });

  it("leaves service errors it does not know for the caller", () => {
    const err = Object.assign(new Error("Stack does not exist"), { name: "ValidationError" });
    expect(classifyAwsError(err, local)).toBe(err);
  });
});
