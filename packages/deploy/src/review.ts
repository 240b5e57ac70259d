/**
 * The review of a change set before a protected environment changes (and in every --dry-run):
 * the diff as AWS CDK's @aws-cdk/cloudformation-diff renders it (every property, nested, with the
 * replacement impact from AWS's resource specification refined by the change set), its IAM table
 * (statements and managed policies added or removed: identity policies, trust policies and
 * resource policies such as bucket policies and Lambda permissions) and security group rules, and
 * which stateful resources (the specification's isStateful: buckets, tables, log groups, keys...)
 * the change replaces or deletes.
 *
 * A library rather than more of diff.ts: it knows every resource type's properties and which of
 * them replace, and parses policy statements; diff.ts only lists top-level properties. It is loaded
 * here on first use only: it reads the resource specification (about 1.6 s) once per process, so
 * an ordinary deploy, and every no-op, never pays for it.
 */
import { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import type { DescribeChangeSetOutput, TemplateDiff } from "@aws-cdk/cloudformation-diff";
import type { Change } from "@aws-sdk/client-cloudformation";
import type { Template } from "@prebake/stack";

export interface StatefulLoss {
  logicalId: string;
  type: string;
  /** What the change does to the resource (and to the data in it). */
  impact: "replaced" | "may be replaced" | "deleted";
}

/** What a reviewer (and `--json`) is told besides the rendered diff. */
export interface ReviewSummary {
  /** IAM statements or managed policies added, or Deny statements removed (CDK's "broadened"). */
  permissionsBroadened: boolean;
  /** Any IAM statement, managed policy or resource policy added or removed. */
  iamChanges: boolean;
  securityGroupChanges: boolean;
  statefulLosses: StatefulLoss[];
}

export interface ChangeReview extends ReviewSummary {
  /** The diff, its security tables and the summary, as plain lines (no colour: it reads the same in a CI log). */
  lines: string[];
}

type Cfd = typeof import("@aws-cdk/cloudformation-diff");
type ResourceModel = typeof import("@aws-cdk/cloudformation-diff/lib/diff/util.js");

let library: Promise<{ cfd: Cfd; model: ResourceModel }> | undefined;

/**
 * The library, and its resource-model lookup (the same cached specification its diff reads, so
 * isStateful costs no second load). The version is pinned exactly in package.json because that
 * lookup is a module of the package, not its index; test/review.test.ts fails if it moves.
 */
const load = () => {
  library ??= Promise.all([
    import("@aws-cdk/cloudformation-diff"),
    import("@aws-cdk/cloudformation-diff/lib/diff/util.js"),
  ]).then(([cfd, model]) => ({ cfd, model }));
  return library;
};

/** Whether AWS's resource specification marks the type as holding data (a bucket, a table, a log group...). */
export async function isStatefulType(type: string): Promise<boolean> {
  const { model } = await load();
  return model.loadResourceModel(type)?.isStateful === true;
}

/** Collects what the library writes to a stream, for the review's lines. */
function collector(): { stream: Writable & { columns: number }; text: () => string } {
  let text = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    { columns: 120 },
  );
  return { stream, text: () => text };
}

const IMPACT: Record<string, StatefulLoss["impact"] | undefined> = {
  WILL_REPLACE: "replaced",
  MAY_REPLACE: "may be replaced",
  WILL_DESTROY: "deleted",
};

async function statefulLosses(diff: TemplateDiff): Promise<StatefulLoss[]> {
  const losses: StatefulLoss[] = [];
  for (const [logicalId, change] of Object.entries(diff.resources.changes)) {
    const impact = IMPACT[change.changeImpact];
    const type = change.oldResourceType ?? change.newResourceType;
    if (impact && type && (await isStatefulType(type))) losses.push({ logicalId, type, impact });
  }
  return losses;
}

/** The summary's own lines, after the library's diff and tables. */
export function summaryLines(summary: ReviewSummary): string[] {
  const security = summary.permissionsBroadened
    ? "security: permissions broadened (IAM statements or managed policies added, see the table above)"
    : summary.iamChanges
      ? "security: IAM statements or policies removed (nothing broadened)"
      : "security: no IAM statement, resource policy or managed policy changes";
  const groups = summary.securityGroupChanges
    ? "security groups: rules change (see the table above)"
    : "security groups: no rule changes";
  const stateful = summary.statefulLosses.length
    ? `stateful resources: ${summary.statefulLosses.map((l) => `${l.logicalId} (${l.type}) ${l.impact}`).join(", ")}`
    : "stateful resources: none replaced or deleted";
  return [security, groups, stateful];
}

/**
 * Review the change from the deployed template (none for a new stack) to the next one, refined by
 * the change set's changes (the service knows what a parameter change touches and what replaces).
 */
export async function reviewChanges(
  deployed: Template | undefined,
  next: Template,
  changes: Change[],
): Promise<ChangeReview> {
  const { cfd } = await load();
  const changeSet = { Changes: changes } as DescribeChangeSetOutput;
  const diff = cfd.fullDiff({ ...deployed }, { ...next }, changeSet);
  const out = collector();
  cfd.formatDifferences(out.stream, diff);
  const summary: ReviewSummary = {
    permissionsBroadened: diff.permissionsBroadened,
    iamChanges: diff.iamChanges.hasChanges,
    securityGroupChanges: diff.securityGroupChanges.hasChanges,
    statefulLosses: await statefulLosses(diff),
  };
  const rendered = stripVTControlCharacters(out.text())
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l, i, all) => l !== "" || (i > 0 && all[i - 1] !== ""));
  return { ...summary, lines: [...rendered, ...summaryLines(summary)] };
}
