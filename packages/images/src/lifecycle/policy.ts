import type { ImageDefinition } from "../definition.ts";

/**
 * ECR lifecycle policy JSON, as ECR documents it: `expire` rules, and `transition` rules that move
 * images to the archive storage class (an archived image cannot be pulled until restored).
 */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    /** Which storage class the rule looks at; ECR's default is `standard`. */
    storageClass?: "standard" | "archive";
    countType: "imageCountMoreThan" | "sinceImagePushed" | "sinceImagePulled" | "sinceImageTransitioned";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" } | { type: "transition"; targetStorageClass: "archive" };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

/**
 * The policy a definition asks for: per version line keep the newest `keepPerVersion` images
 * (selected by the immutable tag prefix "<version>-", which every image of that line carries),
 * and expire untagged images after `untaggedExpireDays`. Version lines keep definition order.
 * The definition rejects version names whose prefixes overlap (see definition.ts), so no rule
 * here selects another line's images and both readings of ECR's rules agree on this policy.
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

/** Canonical text, so a policy read back from ECR compares equal to the generated one. */
export function policyText(policy: LifecyclePolicy): string {
  return JSON.stringify(policy);
}

/** A policy as ECR returns it (GetLifecyclePolicy's text), or undefined when the text is not a policy. */
export function parsePolicyText(text: string | undefined): LifecyclePolicy | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LifecyclePolicy>;
    return Array.isArray(parsed.rules) ? (parsed as LifecyclePolicy) : undefined;
  } catch {
    return undefined;
  }
}
