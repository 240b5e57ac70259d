import type { RepositoryImage } from "./evaluate.ts";

/** Where a deployed stack refers to an image. */
export interface InUseReference {
  stack: string;
  /** `parameter CodeBuildImage`, `parameter P (SSM, resolved value)`, `template body`. */
  where: string;
  /** How it names the image: `by digest`, or `by tag 27.1`. */
  via: string;
}

/** An image reference found in text, before tags are resolved to digests. */
export interface FoundReference {
  digest?: string;
  tag?: string;
}

/** DescribeStacks' answer, the fields the scan reads. */
export interface DeployedStack {
  StackName?: string;
  StackStatus?: string;
  Parameters?: { ParameterKey?: string; ParameterValue?: string; ResolvedValue?: string }[];
}

const DIGEST = /@(sha256:[a-f0-9]{64})\b/g;
const TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Image references in a parameter value or a template body: every `@sha256:` digest (content
 * addressed, so any repository's reference to that digest counts), and `<host>/<repository>:<tag>`
 * for this repository. The host is one path segment of anything (it may be `!Sub` text such as
 * `${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com`). A URI assembled with Fn::Join from
 * pieces is not seen; its parameter values are.
 */
export function findImageReferences(text: string, repository: string): FoundReference[] {
  const found: FoundReference[] = [];
  for (const m of text.matchAll(DIGEST)) found.push({ digest: m[1]! });
  const byTag = new RegExp(
    `(?:^|[^A-Za-z0-9._/-])(?:[^\\s"'/,]+/)?${escapeRegExp(repository)}:(${TAG})(?![A-Za-z0-9_.-])`,
    "g",
  );
  for (const m of text.matchAll(byTag)) found.push({ tag: m[1]! });
  return found;
}

function add(refs: Map<string, InUseReference[]>, digest: string, ref: InUseReference): void {
  const list = refs.get(digest) ?? [];
  list.push(ref);
  refs.set(digest, list);
}

/**
 * Map digest -> the stacks that use it, from DescribeStacks (parameter values, and the
 * `ResolvedValue` of SSM-typed parameters, whose ParameterValue is only the parameter's name)
 * and the deployed template bodies. Tags resolve against `images`, the repository as the
 * lifecycle evaluation sees it (after a push's moving tags moved): a tag no image there holds
 * names nothing the policy could take away. Deleted stacks are ignored. Pure.
 */
export function inUseReferences(
  stacks: DeployedStack[],
  templateBodies: Map<string, string>,
  repository: string,
  images: RepositoryImage[],
): Map<string, InUseReference[]> {
  const digestOfTag = new Map<string, string>();
  for (const image of images) for (const tag of image.tags) digestOfTag.set(tag, image.digest);
  const refs = new Map<string, InUseReference[]>();
  const record = (stack: string, where: string, text: string | undefined) => {
    for (const f of findImageReferences(text ?? "", repository)) {
      const digest = f.digest ?? digestOfTag.get(f.tag!);
      if (digest) add(refs, digest, { stack, where, via: f.digest ? "by digest" : `by tag ${f.tag}` });
    }
  };
  for (const s of stacks) {
    if (s.StackStatus === "DELETE_COMPLETE") continue;
    const stack = s.StackName ?? "?";
    for (const p of s.Parameters ?? []) {
      record(stack, `parameter ${p.ParameterKey ?? "?"}`, p.ParameterValue);
      if (p.ResolvedValue !== undefined && p.ResolvedValue !== p.ParameterValue) {
        record(stack, `parameter ${p.ParameterKey ?? "?"} (SSM, resolved value)`, p.ResolvedValue);
      }
    }
    record(stack, "template body", templateBodies.get(stack));
  }
  return refs;
}
