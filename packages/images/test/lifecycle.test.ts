import { describe, expect, it } from "vitest";
import { loadImageDefinition } from "../src/definition.ts";
import {
  evaluateLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
  lifecyclePolicyFor,
  type RepositoryImage,
  withIncoming,
} from "../src/lifecycle/index.ts";
import { TINY_YAML, writeImageFolder } from "./helpers.ts";

const now = new Date("2026-06-30T00:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const img = (digest: string, tags: string[], age: number): RepositoryImage => ({
  digest,
  tags,
  pushedAt: daysAgo(age),
});
const expired = (policy: LifecyclePolicy, images: RepositoryImage[]) =>
  evaluateLifecyclePolicy(policy, images, now)
    .map((e) => e.digest)
    .sort();

const rule = (rulePriority: number, selection: LifecycleRule["selection"]): LifecycleRule => ({
  rulePriority,
  selection,
  action: { type: "expire" },
});

describe("lifecycle policy from the definition", () => {
  it("keeps the last N per version line (prefix <version>-) and expires untagged after D days", () => {
    const def = loadImageDefinition(
      writeImageFolder("tiny", { "image.yaml": TINY_YAML, Dockerfile: "x" }),
      "tiny",
    );
    expect(lifecyclePolicyFor(def)).toEqual({
      rules: [
        rule(1, {
          tagStatus: "tagged",
          tagPrefixList: ["1.0-"],
          countType: "imageCountMoreThan",
          countNumber: 3,
        }),
        rule(2, {
          tagStatus: "tagged",
          tagPrefixList: ["2.0-"],
          countType: "imageCountMoreThan",
          countNumber: 3,
        }),
        rule(3, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }),
      ].map((r, i) => ({
        ...r,
        description: [
          "keep the last 3 images of 1.0",
          "keep the last 3 images of 2.0",
          "expire untagged images after 7 days",
        ][i],
      })),
    });
  });
});

describe("lifecycle evaluation (ECR semantics)", () => {
  const keep2 = (prefix: string, priority = 1) =>
    rule(priority, {
      tagStatus: "tagged",
      tagPrefixList: [prefix],
      countType: "imageCountMoreThan",
      countNumber: 2,
    });

  it("imageCountMoreThan keeps the newest N by push time and expires the older ones", () => {
    const images = [
      img("a", ["1.0-a"], 4),
      img("b", ["1.0-b"], 1),
      img("c", ["1.0-c"], 3),
      img("d", ["1.0-d"], 2),
    ];
    expect(expired({ rules: [keep2("1.0-")] }, images)).toEqual(["a", "c"]);
  });

  it("equal push times (seconds in the emulator): the later listed image counts as newer", () => {
    const t = daysAgo(1);
    const images = ["a", "b", "c"].map((d) => ({ digest: d, tags: [`1.0-${d}`], pushedAt: t }));
    expect(expired({ rules: [keep2("1.0-")] }, images)).toEqual(["a"]);
  });

  it("a prefix rule selects only images with a matching tag; other lines are not counted", () => {
    const images = [
      img("a", ["1.0-a"], 5),
      img("b", ["2.0-b"], 4),
      img("c", ["1.0-c"], 3),
      img("d", ["1.0-d"], 1),
    ];
    expect(expired({ rules: [keep2("1.0-")] }, images)).toEqual(["a"]);
  });

  it("tagPrefixList: every prefix must match one of the image's tags", () => {
    const r = rule(1, {
      tagStatus: "tagged",
      tagPrefixList: ["1.0-", "rel"],
      countType: "imageCountMoreThan",
      countNumber: 0,
    });
    expect(expired({ rules: [r] }, [img("a", ["1.0-a", "release"], 1), img("b", ["1.0-b"], 1)])).toEqual([
      "a",
    ]);
  });

  it("tagPatternList: * wildcards over the whole tag", () => {
    const r = rule(1, {
      tagStatus: "tagged",
      tagPatternList: ["*-rc*"],
      countType: "imageCountMoreThan",
      countNumber: 0,
    });
    expect(
      expired({ rules: [r] }, [img("a", ["1.0-rc1"], 1), img("b", ["1.0"], 1), img("c", ["rc1"], 1)]),
    ).toEqual(["a"]);
  });

  it("untagged rules see only untagged images; sinceImagePushed expires those older than D days", () => {
    const r = rule(1, {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 7,
    });
    const images = [img("old", [], 8), img("new", [], 6), img("tagged-old", ["x"], 30)];
    expect(expired({ rules: [r] }, images)).toEqual(["old"]);
  });

  it("tagStatus any selects everything", () => {
    const r = rule(9, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 });
    expect(expired({ rules: [r] }, [img("a", [], 3), img("b", ["x"], 2), img("c", ["y"], 1)])).toEqual([
      "a",
      "b",
    ]);
  });

  it("an image matched by a higher-priority rule is never expired by lower ones", () => {
    // Rule 1 keeps every "prod" image; rule 2 keeps one image of anything else.
    const policy = {
      rules: [
        rule(2, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }),
        rule(1, {
          tagStatus: "tagged",
          tagPrefixList: ["prod"],
          countType: "imageCountMoreThan",
          countNumber: 100,
        }),
      ],
    };
    const images = [
      img("p1", ["prod-1"], 5),
      img("x", ["dev-1"], 4),
      img("p2", ["prod-2"], 1),
      img("y", ["dev-2"], 2),
    ];
    // p1/p2 are rule 1's: rule 2 may not expire them. Whether rule 2 still counts them (ECR's
    // "identifies them as if they had not been expired") decides whether y goes too; the
    // conservative union says both x and y may go (see lifecycle-readings.test.ts).
    expect(expired(policy, images)).toEqual(["x", "y"]);
  });

  it("rules run in priority order whatever order they are listed in", () => {
    const images = [img("a", ["1.0-a"], 10), img("b", ["1.0-b"], 9), img("c", ["1.0-c"], 1)];
    const untaggedFirst = {
      rules: [
        rule(2, { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 5 }),
        keep2("1.0-", 1),
      ],
    };
    // Rule 1 claims all three (expires a); rule 2 may not expire b although it is 9 days old.
    expect(evaluateLifecyclePolicy(untaggedFirst, images, now)).toEqual([
      { digest: "a", tags: ["1.0-a"], rulePriority: 1, action: "expire" },
    ]);
  });

  it("the repository after a push: moving tags leave old images; a new image counts as newest", () => {
    const images = [img("a", ["1.0-a"], 3), img("b", ["1.0-b"], 2), img("c", ["1.0-c", "1.0", "latest"], 1)];
    const future = withIncoming(
      images,
      { tags: ["1.0-new", "1.0", "latest"], movingTags: ["1.0", "latest"] },
      now,
    );
    expect(future.find((i) => i.digest === "c")!.tags).toEqual(["1.0-c"]);
    expect(
      expired(
        {
          rules: [
            rule(1, {
              tagStatus: "tagged",
              tagPrefixList: ["1.0-"],
              countType: "imageCountMoreThan",
              countNumber: 3,
            }),
          ],
        },
        future,
      ),
    ).toEqual(["a"]);
    // Already pushed (immutable tag present): nothing is added.
    expect(withIncoming(images, { tags: ["1.0-b", "1.0"], movingTags: ["1.0"] }, now)).toBe(images);
  });
});
