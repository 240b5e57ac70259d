import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { environmentNames } from "../src/environment-names.ts";
import {
  type ConfigError,
  cloudFormationStackName,
  distPaths,
  ExitCode,
  isLoopbackEndpoint,
  parseConfig,
  stackNameIn,
} from "../src/index.ts";

const root = "/repo";
const file = "/repo/prebake.config.yaml";
const parse = (text: string, opts = {}) => parseConfig(text, file, root, { env: {}, ...opts });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const TWO = `
profiles:
  aws: { region: eu-west-1 }
tags: { Project: demo }
stacks:
  ci: { parameters: { LogRetentionDays: "30" } }
environments:
  dev:
    profile: local
    tags: { Environment: dev }
    stacks: { ci: { parameters: { LogRetentionDays: "7" } } }
  prod:
    profile: aws
    region: eu-central-1
    account: "210987654321"
    protected: true
`;

describe("environments", () => {
  it("without --env: the implicit environment keeps the names prebake used before environments", () => {
    const cfg = parse(TWO);
    expect(cfg.environment).toMatchObject({ name: "default", implicit: true, protected: false });
    expect(stackNameIn(cfg, "ci")).toBe("prebake-ci");
    expect(distPaths.stackOutputs(root, "ci")).toBe("/repo/dist/stacks/ci.json");
    expect(cfg.profile.name).toBe("local");
  });

  it("--env selects an environment, its profile, region and account; stack names and dist get its name", () => {
    const dev = parse(TWO, { environment: "dev" });
    expect(dev.environment).toMatchObject({
      name: "dev",
      implicit: false,
      tags: { Environment: dev.environment.tags.Environment },
    });
    expect(stackNameIn(dev, "ci")).toBe("prebake-dev-ci");
    expect(dev.environment.stacks.ci?.parameters).toEqual({ LogRetentionDays: "7" });
    expect(distPaths.stackOutputs(root, "ci", "dev")).toBe("/repo/dist/dev/stacks/ci.json");
    const prod = parse(TWO, { env: { PREBAKE_ENV: "prod" } });
    expect(prod.profile).toMatchObject({
      name: "aws",
      kind: "aws",
      region: "eu-central-1",
      accountId: "210987654321",
    });
    expect(prod.environment.protected).toBe(true);
    expect(stackNameIn(prod, "ci")).toBe("prebake-prod-ci");
  });

  it("--env wins over PREBAKE_ENV; `--env default` is the implicit environment; the environment's profile wins over PREBAKE_PROFILE", () => {
    expect(parse(TWO, { environment: "dev", env: { PREBAKE_ENV: "prod" } }).environment.name).toBe("dev");
    const implicit = parse(TWO, { environment: "default", env: { PREBAKE_ENV: "dev" } });
    expect(implicit.environment.implicit).toBe(true);
    expect(parse(TWO, { environment: "dev", env: { PREBAKE_PROFILE: "aws" } }).profile.name).toBe("local");
    expect(cloudFormationStackName("prebake", "ci")).toBe("prebake-ci");
  });

  it("an unknown environment is one line naming the option and the defined ones (exit 3)", () => {
    const err = errorOf(() => parse(TWO, { environment: "staging" }));
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    expect(err.toLine()).toBe(
      "--env: unknown environment 'staging' (fix: use one of: dev, prod, default, or add it under environments: in prebake.config.yaml)",
    );
    expect(errorOf(() => parse("{}", { env: { PREBAKE_ENV: "dev" } })).toLine()).toBe(
      "PREBAKE_ENV: unknown environment 'dev' (fix: no environments are defined: add environments.dev (with its profile) to prebake.config.yaml)",
    );
  });

  it("an environment whose profile is missing fails every command, selected or not (exit 3)", () => {
    const err = errorOf(() => parse("environments:\n  dev: { profile: staging }\n"));
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    expect(err.toLine()).toBe(
      "prebake.config.yaml: environments.dev.profile: environment 'dev' names profile 'staging', which does not exist (fix: use one of: local, aws, or add profiles.staging)",
    );
    expect(errorOf(() => parse("environments:\n  dev: {}\n")).toLine()).toContain("environments.dev.profile");
  });

  it("a protected environment that points at the local emulator is refused (exit 3)", () => {
    const local = errorOf(() => parse("environments:\n  prod: { profile: local, protected: true }\n"));
    expect(local.exitCode).toBe(ExitCode.CONFIG);
    expect(local.toLine()).toBe(
      "prebake.config.yaml: environments.prod.protected: protected environment 'prod' points at the local emulator (profile local) (fix: give a protected (production) environment an aws profile without a local endpoint, or drop protected: true for a local rehearsal)",
    );
    const loopback = errorOf(() =>
      parse(
        "profiles:\n  emu: { kind: aws, region: us-east-1, endpoint: 'http://localhost:5060' }\nenvironments:\n  prod: { profile: emu, protected: true }\n",
      ),
    );
    expect(loopback.toLine()).toContain("environments.prod.protected");
    // The same check after the environment variables: PREBAKE_AWS_ENDPOINT cannot point prod at moto either.
    const viaEnv = errorOf(() =>
      parse(TWO, { environment: "prod", env: { PREBAKE_AWS_ENDPOINT: "http://127.0.0.1:5060" } }),
    );
    expect(viaEnv.toLine()).toMatch(
      /^PREBAKE_AWS_ENDPOINT: protected environment 'prod' points at the local emulator/,
    );
    // An unprotected environment named prod is a local rehearsal: allowed.
    expect(
      parse("environments:\n  prod: { profile: local }\n", { environment: "prod" }).environment.protected,
    ).toBe(false);
  });

  it("--profile contradicting the environment's profile is refused; agreeing is fine", () => {
    expect(errorOf(() => parse(TWO, { environment: "dev", profile: "aws" })).toLine()).toBe(
      "--profile: environment 'dev' lives in profile 'local', not 'aws' (fix: drop --profile (--env dev chooses the profile), or change environments.dev.profile in prebake.config.yaml)",
    );
    expect(parse(TWO, { environment: "dev", profile: "local" }).environment.name).toBe("dev");
  });

  it("environment names: stack-name safe, not 'default', not a dist/ folder; unknown keys refused", () => {
    expect(errorOf(() => parse("environments:\n  Dev_1: { profile: local }\n")).toLine()).toContain(
      "lowercase letters, digits and single hyphens",
    );
    expect(errorOf(() => parse("environments:\n  default: { profile: local }\n")).toLine()).toContain(
      "'default' is the name of the profile's implicit environment",
    );
    expect(errorOf(() => parse("environments:\n  images: { profile: local }\n")).toLine()).toContain(
      "images, layers, stacks are taken",
    );
    const typo = errorOf(() => parse("environments:\n  dev: { profile: local, paramters: {} }\n"));
    expect(typo.toLine()).toContain("environments.dev");
    expect(typo.toLine()).toContain("paramters");
  });

  it("recognises the emulator's loopback endpoints", () => {
    expect(isLoopbackEndpoint("http://127.0.0.1:5060")).toBe(true);
    expect(isLoopbackEndpoint("http://localhost:4566")).toBe(true);
    expect(isLoopbackEndpoint("http://[::1]:5060")).toBe(true);
    expect(isLoopbackEndpoint("https://cloudformation.eu-west-1.amazonaws.com")).toBe(false);
    expect(isLoopbackEndpoint(undefined)).toBe(false);
  });
});

describe("environmentNames (the Nx plugin's light read)", () => {
  it("lists the names under environments:, and none for no file, no key or an unreadable file", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-envnames-"));
    expect(environmentNames(dir)).toEqual([]);
    writeFileSync(join(dir, "prebake.config.yaml"), TWO);
    expect(environmentNames(dir)).toEqual(["dev", "prod"]);
    writeFileSync(join(dir, "prebake.config.yaml"), "project: demo\n");
    expect(environmentNames(dir)).toEqual([]);
    writeFileSync(join(dir, "prebake.config.yaml"), "environments: [dev\n");
    expect(environmentNames(dir)).toEqual([]);
  });
});
