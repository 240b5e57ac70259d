/**
 * The pure parts of promotion and status: which digests move (and which values are refused), the
 * origin records a promotion leaves on the target stack and when a later deploy keeps them, the
 * per-stack per-image diff rows, and the image state `prebake status` prints.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { isPrebakeError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { imageState } from "../src/environment-status.ts";
import { carriedOriginTags, imageOrigins, originTag } from "../src/origins.ts";
import { promotionRows } from "../src/promote.ts";
import { imageMoves } from "../src/promote-plan.ts";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const uri = (c: string) => `127.0.0.1:5050/prebake/erlang-otp@${digest(c)}`;
const stack = (name: string, parameters: Record<string, string>, tags: Record<string, string> = {}): Stack =>
  ({
    StackName: name,
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    })),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  }) as Stack;

const mapping = { BuildImage: "erlang-otp", LayerImage: "python-layer" };

describe("imageMoves", () => {
  it("moves exactly the source's digests and says, per image, what the target runs now", () => {
    const source = stack("p-dev-ci", { BuildImage: uri("a"), LayerImage: uri("b"), Retention: "7" });
    const target = stack("p-prod-ci", { BuildImage: uri("c"), LayerImage: uri("b"), Retention: "90" });
    expect(imageMoves(mapping, source, target, "dev")).toEqual([
      {
        parameter: "BuildImage",
        image: "erlang-otp",
        uri: uri("a"),
        digest: digest("a"),
        current: uri("c"),
        change: "change",
      },
      {
        parameter: "LayerImage",
        image: "python-layer",
        uri: uri("b"),
        digest: digest("b"),
        current: uri("b"),
        change: "same",
      },
    ]);
    // A target that does not exist yet gets every image added.
    expect(imageMoves(mapping, source, undefined, "dev").map((m) => m.change)).toEqual(["add", "add"]);
  });

  it("refuses (exit 9) a source value that is a tag, latest or missing: nothing tested to promote", () => {
    for (const value of ["127.0.0.1:5050/prebake/erlang-otp:27", "public.ecr.aws/x/y:latest", undefined]) {
      const source = stack("p-dev-ci", value === undefined ? {} : { BuildImage: value });
      let caught: unknown;
      try {
        imageMoves({ BuildImage: "erlang-otp" }, source, undefined, "dev");
      } catch (err) {
        caught = err;
      }
      expect(isPrebakeError(caught) && caught.exitCode).toBe(9);
      expect(isPrebakeError(caught) && caught.toLine()).toContain(
        `BuildImage is '${value ?? "(no value)"}', not an image pinned by digest`,
      );
    }
  });
});

describe("origin records", () => {
  const record = { parameter: "BuildImage", environment: "dev", digest: digest("a") };

  it("a promotion's tag reads back as where the digest came from; other tags are ignored", () => {
    const tags = Object.entries({ ...originTag(record), Environment: "prod", "prebake:origin:Bad": "x" }).map(
      ([Key, Value]) => ({ Key, Value }),
    );
    expect(originTag(record)).toEqual({ "prebake:origin:BuildImage": `dev@${digest("a")}` });
    expect(imageOrigins(tags)).toEqual([record]);
  });

  it("a later deploy keeps a record while the parameter keeps its digest, and drops it when it changes", () => {
    const deployed = [{ Key: "prebake:origin:BuildImage", Value: `dev@${digest("a")}` }];
    expect(carriedOriginTags(deployed, [{ key: "BuildImage", value: uri("a") }])).toEqual(originTag(record));
    expect(carriedOriginTags(deployed, [{ key: "BuildImage", value: uri("b") }])).toEqual({});
    expect(carriedOriginTags(deployed, [{ key: "Retention", value: "7" }])).toEqual({});
  });
});

describe("promotion diff rows and image state", () => {
  it("one row per stack and image parameter, short digests, unchanged ones said so", () => {
    const rows = promotionRows([
      {
        stack: "ci",
        fromStackName: "p-dev-ci",
        toStackName: "p-prod-ci",
        templateDiffers: false,
        moves: imageMoves(
          mapping,
          stack("p-dev-ci", { BuildImage: uri("a"), LayerImage: uri("b") }),
          stack("p-prod-ci", { LayerImage: uri("b") }),
          "dev",
        ),
      },
    ]);
    expect(rows).toEqual([
      ["ci", "BuildImage", "erlang-otp", "(none)", "sha256:aaaaaaaaaaaa"],
      ["ci", "LayerImage", "python-layer", "sha256:bbbbbbbbbbbb", "(unchanged)"],
    ]);
  });

  it("status: newest, older, not pinned, never pushed, not deployed", () => {
    const newest = {
      name: "erlang-otp",
      version: "27",
      repository: "prebake/erlang-otp",
      digest: digest("a"),
      tags: ["27"],
      pushedAt: new Date(0),
    };
    expect(imageState(uri("a"), newest)).toBe("newest");
    expect(imageState(uri("b"), newest)).toBe("older");
    expect(imageState("public.ecr.aws/x/y:latest", newest)).toBe("not pinned");
    expect(imageState(uri("a"), undefined)).toBe("never pushed");
    expect(imageState(undefined, newest)).toBe("not deployed");
  });
});
