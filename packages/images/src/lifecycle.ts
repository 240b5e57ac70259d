import type { ImageDefinition } from "./definition.ts";

/** ECR lifecycle policy JSON (the subset ECR documents for `expire` rules). */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

/**
 * The policy a definition asks for: per version line keep the newest `keepPerVersion` images
 * (selected by the immutable tag prefix "<version>-", which every image of that line carries),
 * and expire untagged images after `untaggedExpireDays`. Version lines keep definition order.
 */
export function lifecyclePolicyFor(def: ImageDefinition): LifecyclePolicy {
  const versions = Object.keys(def.versions);
  const rules: LifecycleRule[] = versions.map((version, i) => ({
    rulePriority: i + 1,
    description: `keep the last ${def.lifecycle.keepPerVersion} images of ${version}`,
    selection: {
      tagStatus: "tagged",
      tagPrefixList: [`${version}-`],
      countType: "imageCountMoreThan",
      countNumber: def.lifecycle.keepPerVersion,
    },
    action: { type: "expire" },
  }));
  rules.push({
    rulePriority: versions.length + 1,
    description: `expire untagged images after ${def.lifecycle.untaggedExpireDays} days`,
    selection: {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: def.lifecycle.untaggedExpireDays,
    },
    action: { type: "expire" },
  });
  return { rules };
}

/** One image of a repository, as DescribeImages reports it. */
export interface RepositoryImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

export interface Expiry {
  digest: string;
  tags: string[];
  rulePriority: number;
}

/** ECR's wildcard: `*` matches any run of characters, everything else is literal; whole tag. */
function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

function matchesTagging(rule: LifecycleRule, image: RepositoryImage): boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagStatus === "untagged") return image.tags.length === 0;
  if (tagStatus === "any") return true;
  if (image.tags.length === 0) return false;
  // Every prefix (pattern) in the list must match at least one of the image's tags.
  if (tagPrefixList?.length) return tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
  if (tagPatternList?.length) {
    return tagPatternList.map(wildcardToRegExp).every((re) => image.tags.some((t) => re.test(t)));
  }
  return false;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Which images a policy would expire, by ECR's documented semantics:
 * - rules run in rulePriority order (lowest first);
 * - an image whose tags match a higher-priority rule is neither counted nor expired by lower rules;
 * - imageCountMoreThan keeps the newest countNumber images (by push time) the rule selects and
 *   expires the rest; sinceImagePushed expires those pushed more than countNumber days before `now`;
 * - tagPrefixList/tagPatternList select an image when each entry matches one of its tags.
 * Pure: our own evaluation, because the emulator has no lifecycle preview.
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: RepositoryImage[],
  now: Date = new Date(),
): Expiry[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  // Stable order for equal push times (the emulator stores seconds): later in the list = newer.
  const indexed = images.map((image, index) => ({ image, index }));
  const claimed = new Set<number>();
  const expired: Expiry[] = [];
  for (const rule of rules) {
    const selected = indexed.filter(({ image, index }) => !claimed.has(index) && matchesTagging(rule, image));
    for (const s of selected) claimed.add(s.index);
    let doomed: typeof selected;
    if (rule.selection.countType === "imageCountMoreThan") {
      const newestFirst = [...selected].sort(
        (a, b) => b.image.pushedAt.getTime() - a.image.pushedAt.getTime() || b.index - a.index,
      );
      doomed = newestFirst.slice(rule.selection.countNumber);
    } else {
      const cutoff = now.getTime() - rule.selection.countNumber * DAY_MS;
      doomed = selected.filter(({ image }) => image.pushedAt.getTime() < cutoff);
    }
    for (const { image } of doomed) {
      expired.push({ digest: image.digest, tags: image.tags, rulePriority: rule.rulePriority });
    }
  }
  return expired;
}

/** Canonical text, so a policy read back from ECR compares equal to the generated one. */
export function policyText(policy: LifecyclePolicy): string {
  return JSON.stringify(policy);
}
