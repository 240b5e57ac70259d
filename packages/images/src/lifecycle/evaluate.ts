import type { LifecyclePolicy, LifecycleRule } from "./policy.ts";

/** One image of a repository, as DescribeImages reports it. */
export interface RepositoryImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
  /** ECR's imageStatus ARCHIVED is `archive`; everything else (and the emulator) is `standard`. */
  storageClass?: "standard" | "archive";
  /** lastRecordedPullTime: what `sinceImagePulled` counts from (push time when never pulled). */
  lastPulledAt?: Date;
  /** lastArchivedAt: what `sinceImageTransitioned` counts from. */
  archivedAt?: Date;
}

/** An image the policy takes away: expired (deleted) or transitioned to archive (cannot be pulled). */
export interface ImageLoss {
  digest: string;
  tags: string[];
  rulePriority: number;
  action: "expire" | "transition";
}

/**
 * ECR documents that a lower-priority rule "can still identify" an image a higher rule matched
 * "as if it had not been expired", but cannot expire it. Read one way, such images still count
 * toward the lower rule's imageCountMoreThan (and can push other images out); read the other way
 * they are out of the lower rule's sight. The two readings differ when rules overlap.
 */
type Reading = "claimed-counted" | "claimed-not-counted";

const DAY_MS = 24 * 60 * 60 * 1000;

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

/** A rule looks at one storage class (standard unless it says archive). */
function selects(rule: LifecycleRule, image: RepositoryImage): boolean {
  const ruleClass = rule.selection.storageClass ?? "standard";
  return (image.storageClass ?? "standard") === ruleClass && matchesTagging(rule, image);
}

interface Indexed {
  image: RepositoryImage;
  /** Position in the listing: equal push times (the emulator stores seconds) order by it. */
  index: number;
}

/** Of the images a rule identifies, those its count condition acts on. */
function doomedBy(rule: LifecycleRule, identified: Indexed[], now: Date): Indexed[] {
  const { countType, countNumber } = rule.selection;
  if (countType === "imageCountMoreThan") {
    const newestFirst = [...identified].sort(
      (a, b) => b.image.pushedAt.getTime() - a.image.pushedAt.getTime() || b.index - a.index,
    );
    return newestFirst.slice(countNumber);
  }
  const cutoff = now.getTime() - countNumber * DAY_MS;
  const since = (image: RepositoryImage): Date | undefined =>
    countType === "sinceImagePushed"
      ? image.pushedAt
      : countType === "sinceImagePulled"
        ? (image.lastPulledAt ?? image.pushedAt)
        : image.archivedAt;
  return identified.filter(({ image }) => {
    const from = since(image);
    return from !== undefined && from.getTime() < cutoff;
  });
}

function evaluateReading(
  reading: Reading,
  policy: LifecyclePolicy,
  images: RepositoryImage[],
  now: Date,
): ImageLoss[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const indexed = images.map((image, index) => ({ image, index }));
  // Matched by a higher-priority rule: no lower rule may act on it.
  const claimed = new Set<number>();
  const losses: ImageLoss[] = [];
  for (const rule of rules) {
    const matching = indexed.filter(({ image }) => selects(rule, image));
    const identified =
      reading === "claimed-counted" ? matching : matching.filter(({ index }) => !claimed.has(index));
    for (const { image, index } of doomedBy(rule, identified, now)) {
      if (claimed.has(index)) continue;
      losses.push({
        digest: image.digest,
        tags: image.tags,
        rulePriority: rule.rulePriority,
        action: rule.action.type,
      });
    }
    for (const { index } of matching) claimed.add(index);
  }
  return losses;
}

/**
 * Reading 1: an image a higher-priority rule matched still counts toward lower rules'
 * imageCountMoreThan (it is "identified as if it had not been expired"), but only the rule that
 * matched it first may act on it. With prefixes `27-slim-` (rule 1) and `27-` (rule 2), rule 2
 * counts the slim images too and can expire every plain `27-*` image.
 */
export function lossesClaimedCounted(
  policy: LifecyclePolicy,
  images: RepositoryImage[],
  now: Date = new Date(),
): ImageLoss[] {
  return evaluateReading("claimed-counted", policy, images, now);
}

/** Reading 2: an image a higher-priority rule matched is neither counted nor acted on by lower rules. */
export function lossesClaimedNotCounted(
  policy: LifecyclePolicy,
  images: RepositoryImage[],
  now: Date = new Date(),
): ImageLoss[] {
  return evaluateReading("claimed-not-counted", policy, images, now);
}

/**
 * What the safety checks use: an image is lost when either reading loses it (expired, or archived
 * and so no longer pullable). Pure: our own evaluation, because the emulator has no preview and
 * ECR's preview is only a second opinion.
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: RepositoryImage[],
  now: Date = new Date(),
): ImageLoss[] {
  const byDigest = new Map<string, ImageLoss>();
  for (const loss of [
    ...lossesClaimedCounted(policy, images, now),
    ...lossesClaimedNotCounted(policy, images, now),
  ]) {
    if (!byDigest.has(loss.digest)) byDigest.set(loss.digest, loss);
  }
  return [...byDigest.values()];
}
