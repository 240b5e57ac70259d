import { describe, expect, it } from "vitest";
import {
  evaluateLifecyclePolicy,
  type ImageLoss,
  type LifecyclePolicy,
  type LifecycleRule,
  lossesClaimedCounted,
  lossesClaimedNotCounted,
  type RepositoryImage,
} from "../src/lifecycle/index.ts";

const now = new Date("2026-06-30T00:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const img = (digest: string, tags: string[], age: number, extra: Partial<RepositoryImage> = {}) => ({
  digest,
  tags,
  pushedAt: daysAgo(age),
  ...extra,
});
const digests = (losses: ImageLoss[]) => losses.map((l) => l.digest).sort();

const keep = (rulePriority: number, prefix: string, countNumber: number): LifecycleRule => ({
  rulePriority,
  selection: { tagStatus: "tagged", tagPrefixList: [prefix], countType: "imageCountMoreThan", countNumber },
  action: { type: "expire" },
});

describe("two readings of 'a lower rule still identifies images a higher rule matched'", () => {
  // Version lines 27-slim (rule 1) and 27 (rule 2): prefix "27-" also selects "27-slim-*".
  const policy: LifecyclePolicy = { rules: [keep(1, "27-slim-", 2), keep(2, "27-", 2)] };
  const images = [
    img("pinned-27", ["27-aaaaaaaaaaaa"], 9), // the plain 27 image a stack pins
    img("slim-1", ["27-slim-bbbbbbbbbbbb"], 3),
    img("slim-2", ["27-slim-cccccccccccc"], 2),
  ];

  it("counted: rule 2 counts the two newer slim images, so it expires the pinned 27 image", () => {
    expect(lossesClaimedCounted(policy, images, now)).toEqual([
      { digest: "pinned-27", tags: ["27-aaaaaaaaaaaa"], rulePriority: 2, action: "expire" },
    ]);
  });

  it("not counted: rule 2 sees only the plain 27 image and keeps it", () => {
    expect(lossesClaimedNotCounted(policy, images, now)).toEqual([]);
  });

  it("the safety check takes the union: the pinned image counts as expiring", () => {
    expect(digests(evaluateLifecyclePolicy(policy, images, now))).toEqual(["pinned-27"]);
  });

  it("neither reading lets a lower rule expire an image a higher rule matched", () => {
    // Rule 1 keeps every slim image (100); rule 2 keeps 1 of "27-": it may not touch slim-1/slim-2.
    const generous = { rules: [keep(1, "27-slim-", 100), keep(2, "27-", 1)] };
    expect(digests(lossesClaimedCounted(generous, images, now))).toEqual(["pinned-27"]);
    expect(digests(lossesClaimedNotCounted(generous, images, now))).toEqual([]);
  });

  it("the readings differ only when rules overlap: disjoint prefixes give the same losses", () => {
    const disjoint = { rules: [keep(1, "slim-27-", 1), keep(2, "27-", 1)] };
    const lines = [
      img("a", ["27-a"], 4),
      img("b", ["27-b"], 3),
      img("s1", ["slim-27-1"], 2),
      img("s2", ["slim-27-2"], 1),
    ];
    expect(lossesClaimedCounted(disjoint, lines, now)).toEqual(lossesClaimedNotCounted(disjoint, lines, now));
    expect(digests(evaluateLifecyclePolicy(disjoint, lines, now))).toEqual(["a", "s1"]);
  });
});

describe("transition (archive) rules", () => {
  const archiveAfter = (days: number, rulePriority = 1): LifecycleRule => ({
    rulePriority,
    selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: days },
    action: { type: "transition", targetStorageClass: "archive" },
  });

  it("an image a transition rule archives is lost (archived images cannot be pulled)", () => {
    const losses = evaluateLifecyclePolicy(
      { rules: [archiveAfter(30)] },
      [img("old", ["1.0-a"], 40), img("new", ["1.0-b"], 10)],
      now,
    );
    expect(losses).toEqual([{ digest: "old", tags: ["1.0-a"], rulePriority: 1, action: "transition" }]);
  });

  it("a rule looks at one storage class: standard by default, archive when it says so", () => {
    const expireArchived: LifecycleRule = {
      rulePriority: 2,
      selection: {
        tagStatus: "any",
        storageClass: "archive",
        countType: "sinceImageTransitioned",
        countUnit: "days",
        countNumber: 90,
      },
      action: { type: "expire" },
    };
    const images = [
      img("archived-long-ago", ["x"], 400, { storageClass: "archive", archivedAt: daysAgo(100) }),
      img("archived-recently", ["y"], 400, { storageClass: "archive", archivedAt: daysAgo(10) }),
      img("standard-old", ["z"], 400),
    ];
    // Rule 1 (standard only) archives standard-old; rule 2 (archive only) expires the one archived 100 days ago.
    expect(evaluateLifecyclePolicy({ rules: [archiveAfter(30), expireArchived] }, images, now)).toEqual([
      { digest: "standard-old", tags: ["z"], rulePriority: 1, action: "transition" },
      { digest: "archived-long-ago", tags: ["x"], rulePriority: 2, action: "expire" },
    ]);
  });

  it("sinceImagePulled counts from the last recorded pull, or the push when never pulled", () => {
    const rule: LifecycleRule = {
      rulePriority: 1,
      selection: { tagStatus: "any", countType: "sinceImagePulled", countUnit: "days", countNumber: 30 },
      action: { type: "transition", targetStorageClass: "archive" },
    };
    const images = [
      img("pulled-yesterday", ["a"], 100, { lastPulledAt: daysAgo(1) }),
      img("never-pulled", ["b"], 100),
      img("pulled-long-ago", ["c"], 100, { lastPulledAt: daysAgo(60) }),
    ];
    expect(digests(evaluateLifecyclePolicy({ rules: [rule] }, images, now))).toEqual([
      "never-pulled",
      "pulled-long-ago",
    ]);
  });
});
