import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { loadImageDefinition } from "../src/definition.ts";
import { mutableTagFilters, parseBuildArgOptions, planImage, planTags } from "../src/plan.ts";
import { TINY_YAML, writeImageFolder } from "./helpers.ts";

const def = loadImageDefinition(
  writeImageFolder("tiny", { "image.yaml": TINY_YAML, Dockerfile: "FROM scratch\n" }),
  "tiny",
);
const git = { revision: "abc123", source: "https://example.com/prebake.git" };
const now = new Date("2026-01-02T03:04:05Z");

describe("build plan", () => {
  it("merges build args: common < version < --build-arg, with BASE_IMAGE from the profile's base", () => {
    const local = planImage(def, "2.0", "local", { buildArgs: { LINE: "cli" }, git, now });
    expect(local.buildArgs).toEqual({
      COMMON: "override",
      LINE: "cli",
      BASE_IMAGE: "prebake/debian:bookworm",
    });
    const aws = planImage(def, "1.0", "aws", { git, now });
    expect(aws.buildArgs.BASE_IMAGE).toBe("public.ecr.aws/amazonlinux/amazonlinux:2023");
    expect(planImage(def, "2.0", "aws", { git, now }).base).toBe("public.ecr.aws/sam/build-python3.12");
  });

  it("a --build-arg BASE_IMAGE overrides the base (e.g. a mirror)", () => {
    expect(planImage(def, "1.0", "local", { buildArgs: { BASE_IMAGE: "mirror/debian" } }).base).toBe(
      "mirror/debian",
    );
  });

  it("hashed labels carry the definition's labels and the version; revision and created are provenance only", () => {
    const plan = planImage(def, "1.0", "local", { git, now });
    expect(plan.labels).toEqual({
      "org.opencontainers.image.title": "tiny",
      "org.opencontainers.image.version": "1.0",
    });
    expect(plan.provenanceLabels).toEqual({
      "org.opencontainers.image.revision": "abc123",
      "org.opencontainers.image.source": "https://example.com/prebake.git",
      "org.opencontainers.image.created": "2026-01-02T03:04:05.000Z",
    });
  });

  it("a profile without a base is a config error naming base.<kind>", () => {
    const noAws = {
      ...def,
      base: { local: "prebake/debian:bookworm" },
      versions: { "1.0": { buildArgs: {} } },
    };
    expect(() => planImage(noAws, "1.0", "aws")).toThrow(ConfigError);
    expect(() => planImage(noAws, "1.0", "aws")).toThrow(/no base image for the aws profile/);
  });

  it("tag plan: immutable <version>-<hash12>; latest moves only for the default version", () => {
    const hash = `sha256:${"0123456789abcdef".repeat(4)}`;
    expect(planTags("27.1", hash, true)).toEqual({
      immutable: "27.1-0123456789ab",
      moving: ["27.1", "latest"],
    });
    expect(planTags("26.2.5", hash, false)).toEqual({ immutable: "26.2.5-0123456789ab", moving: ["26.2.5"] });
  });

  it("mutable-tag exclusion filters: every version line and latest, at most five", () => {
    expect(mutableTagFilters(def)).toEqual(["1.0", "2.0", "latest"]);
    const many = {
      ...def,
      versions: Object.fromEntries(["1", "2", "3", "4", "5"].map((v) => [v, { buildArgs: {} }])),
    };
    expect(() => mutableTagFilters(many)).toThrow(/ECR allows 5/);
  });

  it("--build-arg values must be KEY=VALUE", () => {
    expect(parseBuildArgOptions(["A=1", "B=x=y"])).toEqual({ A: "1", B: "x=y" });
    expect(() => parseBuildArgOptions(["nope"])).toThrow(ConfigError);
  });
});

describe("build args and labels with URL credentials", () => {
  const withCredentials = (yaml: string) =>
    loadImageDefinition(
      writeImageFolder("creds", { "image.yaml": yaml, Dockerfile: "FROM scratch\n" }),
      "creds",
    );
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error("not refused");
  };

  it("are refused before building (exit 3), named where they were written, the token never in the message", () => {
    const cli = refusal(() =>
      planImage(def, "1.0", "local", {
        buildArgs: { OTP_URL: "https://mirror:CANARY@mirror.example/otp.tar.gz" },
      }),
    );
    expect(cli).toBeInstanceOf(ConfigError);
    expect(cli.toLine()).toBe(
      "--build-arg OTP_URL: https://mirror.example/otp.tar.gz carries credentials (user:token@), which the image would keep in its history or labels " +
        "(fix: drop them from the URL and give the build the credentials as a build secret (image.yaml secrets:, mounted by the step that downloads))",
    );
    const yaml = TINY_YAML.replace("name: tiny", "name: creds");
    const inVersion = withCredentials(
      yaml.replace('LINE: "one"', 'LINE: "one", URL: "https://u:CANARY@m.example/x"'),
    );
    expect(refusal(() => planImage(inVersion, "1.0", "local")).where).toBe(
      `${inVersion.file}: versions.1.0.buildArgs.URL`,
    );
    const inLabel = withCredentials(
      yaml.replace(
        "labels: { org.opencontainers.image.title: tiny }",
        'labels: { src: "https://u:CANARY@m.example/x" }',
      ),
    );
    expect(refusal(() => planImage(inLabel, "1.0", "local")).where).toBe(`${inLabel.file}: labels.src`);
  });
});
