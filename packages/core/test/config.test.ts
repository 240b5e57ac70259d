import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_DEPLOY_CONCURRENCY, ExitCode, loadConfig, parseConfig } from "../src/index.ts";

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

describe("configuration", () => {
  it("defaults to the local profile with the loopback services", () => {
    const cfg = parse("{}");
    expect(cfg.profile).toMatchObject({
      name: "local",
      kind: "local",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:5060",
      registry: "127.0.0.1:5050",
    });
    expect(cfg.profile.credentials).toBeDefined();
  });

  it("the aws profile uses the default credential chain and no endpoint", () => {
    const cfg = parse("profiles:\n  aws:\n    region: eu-west-1\n", { profile: "aws" });
    expect(cfg.profile).toMatchObject({
      kind: "aws",
      region: "eu-west-1",
      endpoint: undefined,
      credentials: undefined,
    });
  });

  it("--profile wins over PREBAKE_PROFILE, which wins over the file", () => {
    expect(parse("profile: aws", { env: { PREBAKE_PROFILE: "local" } }).profile.name).toBe("local");
    expect(parse("profile: local", { env: { PREBAKE_PROFILE: "aws" }, profile: "local" }).profile.name).toBe(
      "local",
    );
  });

  it("names the field and the fix for an unknown profile", () => {
    const err = errorOf(() => parse("profile: staging"));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    expect(err.toLine()).toBe(
      "prebake.config.yaml: profile: unknown profile 'staging' (fix: use one of: local, aws, or add it under profiles:)",
    );
  });

  it("rejects a malformed region with the dotted field path", () => {
    const err = errorOf(() => parse("profiles:\n  aws:\n    region: Europe\n"));
    expect(err.toLine()).toContain("prebake.config.yaml:3:13: profiles.aws.region: must be an AWS region");
  });

  it("rejects unknown keys instead of ignoring typos", () => {
    const err = errorOf(() => parse("profiles:\n  local:\n    regoin: us-east-1\n"));
    expect(err.toLine()).toContain("profiles.local");
    expect(err.toLine()).toContain("regoin");
  });

  it("reports every mistake of the file at once, each at file:line:column, a typo with the key it meant", () => {
    const err = errorOf(() =>
      parse(
        "profile: local\nprofiles:\n  local:\n    regoin: us-east-1\n  aws:\n    region: Europe\nstaks: {}\n",
      ),
    );
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    const docs = "the fields: @prebake/core's README, packages/core/README.md#prebakeconfigyaml";
    expect(err.problems.map((p) => `${p.where}: ${p.message} (fix: ${p.fix})`)).toEqual([
      `prebake.config.yaml:4:5: profiles.local: unknown key 'regoin' (fix: did you mean region? (${docs}))`,
      "prebake.config.yaml:6:13: profiles.aws.region: must be an AWS region such as us-east-1 " +
        `(fix: ${docs})`,
      `prebake.config.yaml:7:1: unknown key 'staks' (fix: did you mean stacks? (${docs}))`,
    ]);
    expect(err.toLine()).toBe(
      `prebake.config.yaml:4:5: profiles.local: unknown key 'regoin' (and 2 more listed above) (fix: did you mean region? (${docs}))`,
    );
  });

  it("reports YAML syntax errors with the line", () => {
    const err = errorOf(() => parse("profile: local\nprofiles: [\n"));
    expect(err.toLine()).toMatch(/^prebake\.config\.yaml:\d+:\d+: not valid YAML/);
  });

  it("a custom profile must say its kind", () => {
    const err = errorOf(() =>
      parse("profiles:\n  staging:\n    region: us-west-2\n", { profile: "staging" }),
    );
    expect(err.toLine()).toContain("profiles.staging.kind");
  });

  it("loads the embedded defaults when there is no file", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-cfg-"));
    writeFileSync(join(dir, "nx.json"), "{}");
    const cfg = loadConfig({ cwd: dir, env: {} });
    expect(cfg.configFile).toBeUndefined();
    expect(cfg.profile.name).toBe("local");
  });
});

describe("report.targets: the project's own goals for prebake report", () => {
  it("defaults to 99 % success, 5-minute builds, $1 a month and 50 MB layers, with the other report keys", () => {
    expect(parse("{}").report).toEqual({
      ratesPerMinute: {},
      defaultComputeType: "BUILD_GENERAL1_SMALL",
      buildsPerMonth: 100,
      targets: { successRate: 0.99, buildMinutes: 5, monthlyUsd: 1, layerZippedMB: 50 },
    });
  });

  it("a target set in the file replaces its default; the others keep theirs", () => {
    const cfg = parse("report:\n  targets:\n    successRate: 0.95\n    buildMinutes: 12\n");
    expect(cfg.report.targets).toEqual({
      successRate: 0.95,
      buildMinutes: 12,
      monthlyUsd: 1,
      layerZippedMB: 50,
    });
    expect(cfg.report.buildsPerMonth).toBe(100);
  });

  it("an unknown target, or a success rate written as a percentage, is exit 3 with the field", () => {
    const typo = errorOf(() => parse("report:\n  targets:\n    buildMinute: 4\n"));
    expect(typo.exitCode).toBe(ExitCode.CONFIG);
    expect(typo.toLine()).toContain("report.targets");
    expect(typo.toLine()).toContain("buildMinute");
    const percent = errorOf(() => parse("report:\n  targets:\n    successRate: 99\n"));
    expect(percent.toLine()).toContain("report.targets.successRate: must be a fraction: 0.99 for 99 %");
  });
});

describe("concurrency: how wide the Nx batch goes", () => {
  it("defaults to DEFAULT_DEPLOY_CONCURRENCY deploys and leaves the other tasks to Nx's setting", () => {
    expect(parse("{}").concurrency).toEqual({ deploys: DEFAULT_DEPLOY_CONCURRENCY });
    expect(parse("concurrency: { deploys: 2, builds: 4 }\n").concurrency).toEqual({ deploys: 2, builds: 4 });
  });

  it("no deploys at once, a fraction or an unknown kind is exit 3 with the field", () => {
    const none = errorOf(() => parse("concurrency: { deploys: 0 }\n"));
    expect(none.exitCode).toBe(ExitCode.CONFIG);
    expect(none.toLine()).toContain("concurrency.deploys");
    expect(errorOf(() => parse("concurrency: { builds: 1.5 }\n")).toLine()).toContain("concurrency.builds");
    expect(errorOf(() => parse("concurrency: { lints: 2 }\n")).toLine()).toContain("lints");
  });
});

describe("the aws profile's ecrRegistry (ECR's host mapped to a mirror or a stand-in)", () => {
  it("resolves ecrRegistry in an aws profile; no registry, even with PREBAKE_REGISTRY exported", () => {
    const cfg = parse(
      "profiles:\n  aws:\n    endpoint: http://127.0.0.1:5060\n    ecrRegistry: 127.0.0.1:5052\n",
      {
        profile: "aws",
        env: { PREBAKE_REGISTRY: "127.0.0.1:5050" },
      },
    );
    expect(cfg.profile).toMatchObject({ kind: "aws", ecrRegistry: "127.0.0.1:5052", registry: undefined });
    expect(parse("{}", { profile: "aws" }).profile.ecrRegistry).toBeUndefined();
    expect(
      parse(
        "profiles:\n  mirror:\n    kind: aws\n    region: eu-west-1\n    ecrRegistry: ecr-mirror.corp.example:8443\n",
        {
          profile: "mirror",
        },
      ).profile.ecrRegistry,
    ).toBe("ecr-mirror.corp.example:8443");
  });

  it("the local profile keeps registry and PREBAKE_REGISTRY, and has no ecrRegistry", () => {
    const cfg = parse("{}", { env: { PREBAKE_REGISTRY: "127.0.0.1:5999" } });
    expect(cfg.profile).toMatchObject({ registry: "127.0.0.1:5999", ecrRegistry: undefined });
  });

  it("registry in an aws profile is refused, pointing to ecrRegistry", () => {
    const err = errorOf(() => parse("profiles:\n  aws:\n    registry: 127.0.0.1:5050\n", { profile: "aws" }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.toLine()).toBe(
      "prebake.config.yaml: profiles.aws.registry: an aws profile's registry is ECR, named by the account and region (fix: remove registry; to reach ECR through a mirror or a local stand-in, set ecrRegistry: <host:port>)",
    );
  });

  it("ecrRegistry in a local profile is refused", () => {
    const err = errorOf(() => parse("profiles:\n  local:\n    ecrRegistry: 127.0.0.1:5052\n"));
    expect(err.toLine()).toContain("profiles.local.ecrRegistry: ecrRegistry maps ECR's host");
  });

  it("ecrRegistry is host[:port]: a scheme or a path is refused with the field", () => {
    for (const bad of ["https://mirror.example", "mirror.example/v2", "mirror.example:port"]) {
      const err = errorOf(() => parse(`profiles:\n  aws:\n    ecrRegistry: "${bad}"\n`, { profile: "aws" }));
      expect(err.toLine()).toContain("profiles.aws.ecrRegistry: must be host[:port]");
    }
  });
});

describe("KEY=value options", () => {
  it("keeps '=' inside values and names the option of a malformed flag", async () => {
    const { parseKeyValueOptions } = await import("../src/index.ts");
    expect(parseKeyValueOptions(["A=1", "URL=http://x/?a=b"], "--env", "NAME=value")).toEqual({
      A: "1",
      URL: "http://x/?a=b",
    });
    expect(() => parseKeyValueOptions(["=1"], "--env", "NAME=value")).toThrow("'=1' is not KEY=value");
  });
});
