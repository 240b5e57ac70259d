import { CloudFormationClient, paginateDescribeStacks } from "@aws-sdk/client-cloudformation";
import { type Context, classifyAwsError, RefusedError } from "@prebake/core";
import type { Expiry } from "./lifecycle.ts";

/** A deployed stack parameter that pins an image by digest. */
export interface DigestReference {
  stack: string;
  parameter: string;
}

const DIGEST_IN_VALUE = /@(sha256:[a-f0-9]{64})\b/g;

/** Map digest -> stacks/parameters referencing it, from DescribeStacks output (pure). */
export function digestReferences(
  stacks: {
    StackName?: string;
    StackStatus?: string;
    Parameters?: { ParameterKey?: string; ParameterValue?: string }[];
  }[],
): Map<string, DigestReference[]> {
  const refs = new Map<string, DigestReference[]>();
  for (const s of stacks) {
    if (s.StackStatus === "DELETE_COMPLETE") continue;
    for (const p of s.Parameters ?? []) {
      for (const m of (p.ParameterValue ?? "").matchAll(DIGEST_IN_VALUE)) {
        const digest = m[1]!;
        const list = refs.get(digest) ?? [];
        list.push({ stack: s.StackName ?? "?", parameter: p.ParameterKey ?? "?" });
        refs.set(digest, list);
      }
    }
  }
  return refs;
}

/** Every digest a deployed stack's parameters reference (DescribeStacks, all pages). */
export async function deployedDigestReferences(ctx: Context): Promise<Map<string, DigestReference[]>> {
  const cfn = ctx.aws(CloudFormationClient);
  const stacks = [];
  try {
    for await (const page of paginateDescribeStacks({ client: cfn }, {})) stacks.push(...(page.Stacks ?? []));
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, "CloudFormation DescribeStacks");
  }
  return digestReferences(stacks);
}

/** Refuse (exit 9) when an expiry hits an image a deployed stack uses; name the digest and the stack. */
export function assertNothingInUseExpires(
  expiries: Expiry[],
  refs: Map<string, DigestReference[]>,
  where: string,
  definitionFile: string,
): void {
  for (const e of expiries) {
    const users = refs.get(e.digest);
    if (!users?.length) continue;
    const who = users.map((u) => `${u.stack} (parameter ${u.parameter})`).join(", ");
    throw new RefusedError(
      `the lifecycle policy would expire ${e.digest}${e.tags.length ? ` [${e.tags.join(", ")}]` : ""} (rule ${e.rulePriority}), which deployed stack ${who} uses`,
      {
        where,
        fix: `deploy ${users[0]!.stack} with a newer image first, or raise lifecycle.keepPerVersion in ${definitionFile}`,
      },
    );
  }
}
