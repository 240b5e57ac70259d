import type { LifecyclePolicyPreviewResult } from "@aws-sdk/client-ecr";
import { RefusedError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import {
  assertNothingInUseLost,
  comparePreview,
  type DeployedStack,
  evaluateLifecyclePolicy,
  findImageReferences,
  INCOMING_DIGEST,
  inUseReferences,
  judgePreview,
  type RepositoryImage,
  withIncoming,
} from "../src/lifecycle/index.ts";

const REPO = "prebake/erlang-otp";
const HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const d = (c: string) => `sha256:${c.repeat(64)}`;
const now = new Date("2026-06-30T00:00:00Z");
const images: RepositoryImage[] = [
  { digest: d("a"), tags: ["27.1-aaaaaaaaaaaa"], pushedAt: new Date("2026-06-01") },
  { digest: d("b"), tags: ["27.1-bbbbbbbbbbbb", "27.1", "latest"], pushedAt: new Date("2026-06-10") },
];

function refused(fn: () => unknown): RefusedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(9);
    return err as RefusedError;
  }
  throw new Error("expected a RefusedError");
}

describe("image references in text", () => {
  it("finds digests (any repository) and this repository's tags, with any host", () => {
    const text = [
      `Image: ${HOST}/${REPO}@${d("c")}`,
      `Other: ${HOST}/${REPO}:27.1-aaaaaaaaaaaa`,
      `Sub: \${AWS::AccountId}.dkr.ecr.\${AWS::Region}.amazonaws.com/${REPO}:27.1`,
      `Local: "127.0.0.1:5050/${REPO}:latest"`,
      `Elsewhere: ${HOST}/prebake/python-layer:3.11`,
      `Longer: ${HOST}/${REPO}-extra:27.1`,
    ].join("\n");
    expect(findImageReferences(text, REPO)).toEqual([
      { digest: d("c") },
      { tag: "27.1-aaaaaaaaaaaa" },
      { tag: "27.1" },
      { tag: "latest" },
    ]);
  });
});

describe("what deployed stacks use", () => {
  const stacks: DeployedStack[] = [
    {
      StackName: "by-digest",
      StackStatus: "UPDATE_COMPLETE",
      Parameters: [{ ParameterKey: "CodeBuildImage", ParameterValue: `${HOST}/${REPO}@${d("a")}` }],
    },
    {
      StackName: "by-tag",
      StackStatus: "CREATE_COMPLETE",
      Parameters: [{ ParameterKey: "Image", ParameterValue: `${HOST}/${REPO}:27.1-aaaaaaaaaaaa` }],
    },
    {
      // AWS's shape for an SSM-typed parameter: the value is only the SSM name; ResolvedValue is the image.
      StackName: "by-ssm",
      StackStatus: "CREATE_COMPLETE",
      Parameters: [
        { ParameterKey: "Image", ParameterValue: "/ci/image", ResolvedValue: `${HOST}/${REPO}@${d("b")}` },
      ],
    },
    { StackName: "in-template", StackStatus: "CREATE_COMPLETE", Parameters: [] },
    {
      StackName: "gone",
      StackStatus: "DELETE_COMPLETE",
      Parameters: [{ ParameterKey: "I", ParameterValue: `x@${d("a")}` }],
    },
  ];
  const bodies = new Map([
    ["in-template", `Resources:\n  P:\n    Properties:\n      Image: ${HOST}/${REPO}:latest\n`],
    ["gone", `Image: ${HOST}/${REPO}:latest`],
  ]);

  it("digests and tags in parameters, SSM resolved values and template bodies; deleted stacks ignored", () => {
    const refs = inUseReferences(stacks, bodies, REPO, images);
    expect(refs.get(d("a"))).toEqual([
      { stack: "by-digest", where: "parameter CodeBuildImage", via: "by digest" },
      { stack: "by-tag", where: "parameter Image", via: "by tag 27.1-aaaaaaaaaaaa" },
    ]);
    expect(refs.get(d("b"))).toEqual([
      { stack: "by-ssm", where: "parameter Image (SSM, resolved value)", via: "by digest" },
      { stack: "in-template", where: "template body", via: "by tag latest" },
    ]);
    expect([...refs.keys()].sort()).toEqual([d("a"), d("b")]);
  });

  it("a moving tag resolves where the push moves it: to the incoming image, not the old one", () => {
    const future = withIncoming(
      images,
      { tags: ["27.1-cccccccccccc", "27.1", "latest"], movingTags: ["27.1", "latest"] },
      now,
    );
    const refs = inUseReferences([stacks[3]!], bodies, REPO, future);
    expect([...refs.keys()]).toEqual([INCOMING_DIGEST]);
  });

  it("refuses (exit 9) when the policy takes away a tag-referenced image, naming stack and reference", () => {
    const keepOne = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: "tagged" as const,
            tagPrefixList: ["27.1-"],
            countType: "imageCountMoreThan" as const,
            countNumber: 1,
          },
          action: { type: "expire" as const },
        },
      ],
    };
    const losses = evaluateLifecyclePolicy(keepOne, images, now);
    expect(losses.map((l) => l.digest)).toEqual([d("a")]);
    const tagOnly = inUseReferences([stacks[1]!], new Map(), REPO, images);
    const err = refused(() =>
      assertNothingInUseLost(losses, tagOnly, `ECR repository ${REPO}`, "images/x/image.yaml"),
    );
    expect(err.toLine()).toBe(
      `ECR repository ${REPO}: the lifecycle policy would expire ${d("a")} [27.1-aaaaaaaaaaaa] (rule 1), which deployed stack by-tag (parameter Image, by tag 27.1-aaaaaaaaaaaa) uses (fix: deploy by-tag with a newer image first, or raise lifecycle.keepPerVersion in images/x/image.yaml)`,
    );
    expect(() => assertNothingInUseLost(losses, new Map(), "w", "f")).not.toThrow();
  });

  it("an archived in-use image is refused as lost, saying why", () => {
    const refs = inUseReferences([stacks[0]!], new Map(), REPO, images);
    const err = refused(() =>
      assertNothingInUseLost(
        [{ digest: d("a"), tags: [], rulePriority: 3, action: "transition" }],
        refs,
        "w",
        "f",
      ),
    );
    expect(err.message).toContain("would archive (archived images cannot be pulled)");
  });
});

describe("comparison with ECR's lifecycle preview", () => {
  // The documented GetLifecyclePolicyPreview previewResults shape.
  const preview: LifecyclePolicyPreviewResult[] = [
    {
      imageDigest: d("a"),
      imageTags: ["27.1-aaaaaaaaaaaa"],
      imagePushedAt: new Date("2026-06-01"),
      action: { type: "EXPIRE" },
      appliedRulePriority: 1,
      storageClass: "STANDARD",
    },
    {
      imageDigest: d("e"),
      imageTags: [],
      imagePushedAt: new Date("2026-01-01"),
      action: { type: "TRANSITION", targetStorageClass: "ARCHIVE" },
      appliedRulePriority: 2,
      storageClass: "STANDARD",
    },
  ];
  const loss = (digest: string) => ({ digest, tags: [], rulePriority: 1, action: "expire" as const });

  it("lists what only ECR and only prebake take away (EXPIRE and TRANSITION both count)", () => {
    expect(comparePreview(preview, [loss(d("a")), loss(d("f"))])).toEqual({
      onlyEcr: [d("e")],
      onlyPrebake: [d("f")],
    });
    expect(comparePreview(preview, [loss(d("a")), loss(d("e"))])).toEqual({ onlyEcr: [], onlyPrebake: [] });
  });

  it("a disagreement on an image a stack uses is a refusal (exit 9), not a warning", () => {
    const refs = new Map([
      [d("e"), [{ stack: "prebake-ci", where: "parameter CodeBuildImage", via: "by digest" }]],
    ]);
    const comparison = comparePreview(preview, [loss(d("a"))]);
    const err = refused(() =>
      judgePreview(comparison, refs, `ECR repository ${REPO}`, "images/x/image.yaml"),
    );
    expect(err.toLine()).toContain(`ECR's lifecycle preview alone would take away ${d("e")}`);
    expect(err.toLine()).toContain("prebake-ci (parameter CodeBuildImage, by digest)");
    // prebake alone, on an in-use image: refused too.
    const onlyOurs = comparePreview([], [loss(d("e"))]);
    expect(refused(() => judgePreview(onlyOurs, refs, "w", "f")).message).toContain(
      "prebake's evaluation alone",
    );
  });

  it("a disagreement on images nobody uses is a warning; agreement is silent", () => {
    const warning = judgePreview(comparePreview(preview, [loss(d("a"))]), new Map(), "w", "f");
    expect(warning).toBe(
      `ECR's lifecycle preview disagrees with prebake's evaluation (only ECR: ${d("e")}; only prebake: none); no image in use is affected`,
    );
    expect(judgePreview({ onlyEcr: [], onlyPrebake: [] }, new Map(), "w", "f")).toBeUndefined();
  });
});
