import { describe, expect, it } from "vitest";
import { type RegistryFacts, staleReason } from "../src/resolve.ts";

const digest = `sha256:${"d".repeat(64)}`;
const older = `sha256:${"0".repeat(64)}`;
const manifest = {
  name: "tool",
  version: "1.0",
  repository: "prebake/tool",
  registry: "127.0.0.1:5050",
  tags: ["1.0-dddddddddddd", "1.0", "latest"],
  digest,
  uri: `127.0.0.1:5050/prebake/tool@${digest}`,
  contentHash: `sha256:${"c".repeat(64)}`,
  sizeBytes: 1234,
  pushedAt: "2026-06-01T00:00:00.000Z",
};
const now = new Date("2026-06-30T00:00:00Z");
const keepOne = {
  rules: [
    {
      rulePriority: 1,
      selection: {
        tagStatus: "tagged" as const,
        tagPrefixList: ["1.0-"],
        countType: "imageCountMoreThan" as const,
        countNumber: 1,
      },
      action: { type: "expire" as const },
    },
  ],
};
const facts: RegistryFacts = {
  repository: "prebake/tool",
  definitionFile: "images/tool/image.yaml",
  registryHost: "127.0.0.1:5050",
  profileName: "local",
  found: digest,
  policy: keepOne,
  images: [{ digest, tags: manifest.tags, pushedAt: new Date("2026-06-01") }],
  now,
};

describe("a pushed-image manifest checked against the registry (resolvePushedImage's decision)", () => {
  it("passes when the registry has the digest and the policy keeps it", () => {
    expect(staleReason(manifest, facts)).toBeUndefined();
  });

  it.each<[string, Partial<RegistryFacts>, Partial<typeof manifest>, string]>([
    [
      "the digest is gone from the registry",
      { found: undefined },
      {},
      `${digest} is not in registry 127.0.0.1:5050 (repository prebake/tool)`,
    ],
    [
      "the policy is about to expire it (a newer image in its line, keep 1)",
      {
        images: [
          { digest, tags: ["1.0-dddddddddddd"], pushedAt: new Date("2026-06-01") },
          { digest: older, tags: ["1.0-eeeeeeeeeeee", "1.0", "latest"], pushedAt: new Date("2026-06-20") },
        ],
      },
      {},
      `the lifecycle policy of prebake/tool is about to expire ${digest} (rule 1)`,
    ],
    [
      "it is archived in ECR",
      { images: [{ digest, tags: [], pushedAt: new Date("2026-06-01"), storageClass: "archive" }] },
      {},
      `${digest} is archived in ECR (archived images cannot be pulled)`,
    ],
    [
      "it was pushed to another registry (another profile)",
      { registryHost: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", profileName: "aws" },
      {},
      "records registry 127.0.0.1:5050, but the aws profile uses 123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ],
    [
      "the definition now names another repository",
      { repository: "prebake/tool2" },
      {},
      "records repository prebake/tool, but images/tool/image.yaml names prebake/tool2",
    ],
    [
      "its uri does not pin its digest",
      {},
      { uri: `127.0.0.1:5050/prebake/tool@${older}` },
      `uri 127.0.0.1:5050/prebake/tool@${older} does not pin 127.0.0.1:5050/prebake/tool@${digest}`,
    ],
  ])("is stale when %s", (_what, factChanges, manifestChanges, reason) => {
    expect(staleReason({ ...manifest, ...manifestChanges }, { ...facts, ...factChanges })).toBe(reason);
  });

  it("no lifecycle policy in the repository: nothing is about to go", () => {
    const crowded = [
      { digest, tags: ["1.0-dddddddddddd"], pushedAt: new Date("2026-06-01") },
      { digest: older, tags: ["1.0-eeeeeeeeeeee"], pushedAt: new Date("2026-06-20") },
    ];
    expect(staleReason(manifest, { ...facts, policy: undefined, images: crowded })).toBeUndefined();
  });
});
