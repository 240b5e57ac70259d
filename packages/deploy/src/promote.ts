/**
 * `prebake promote <from> <to>`: deploy the target environment's stacks with exactly the image
 * digests the source environment runs (tested there), never rebuilt, never a moving tag. The plan
 * (per stack, per image) is shown first; `--dry-run` stops there. Each target stack records where
 * its digests came from in `prebake:origin:<Parameter>` tags, which `prebake status` reads.
 */
import { ConfigError, type Context, type PromoteRun } from "@prebake/core";
import { shortDigest } from "@prebake/images";
import { type DeployResult, deployStack } from "./deploy.ts";
import { orderStacks, stackAfter } from "./order.ts";
import { originTag } from "./origins.ts";
import { planPromotion, promotedStacks, type StackPromotion } from "./promote-plan.ts";

export interface PromoteOptions {
  /** Stack folders (none: every stack with image parameters). */
  stacks?: string[];
  dryRun?: boolean;
  lint?: boolean;
  /** `--approve`: a protected target environment's deploys go ahead without asking (approval.ts). */
  approve?: boolean;
}

/** core's promote run (its rows and history lines are the deploys), with the plan per stack. */
export interface PromotionResult extends PromoteRun {
  dryRun: boolean;
  stacks: StackPromotion[];
  deployed: DeployResult[];
}

const shortValue = (value: string | undefined) => {
  if (value === undefined) return "(none)";
  const at = value.lastIndexOf("@sha256:");
  return at < 0 ? value : shortDigest(value.slice(at + 1));
};

/** The per-stack, per-image diff: one row per image parameter. */
export function promotionRows(plans: StackPromotion[]): string[][] {
  return plans.flatMap((p) =>
    p.moves.map((m) => [
      p.stack,
      m.parameter,
      m.image,
      shortValue(m.current),
      m.change === "same" ? "(unchanged)" : shortDigest(m.digest),
    ]),
  );
}

function showPlan(ctx: Context, from: string, to: string, plans: StackPromotion[]): void {
  ctx.out.table(["stack", "parameter", "image", `${to} now`, `from ${from}`], promotionRows(plans));
  for (const p of plans.filter((x) => x.templateDiffers)) {
    ctx.out.warn(
      `${p.fromStackName} runs another template than stacks/${p.stack}/stack.yaml: ${to} gets this checkout's template with ${from}'s images`,
    );
  }
}

export async function promote(
  ctx: Context,
  fromName: string,
  toName: string,
  options: PromoteOptions = {},
): Promise<PromotionResult> {
  if (fromName === toName) {
    throw new ConfigError(`cannot promote environment '${fromName}' to itself`, {
      where: "prebake promote",
      fix: "name two environments: prebake promote <from-env> <to-env>",
    });
  }
  // Both configurations are checked (unknown environment, missing profile, ...) before any AWS call.
  const from = ctx.forEnvironment(fromName);
  const to = ctx.forEnvironment(toName);
  const stacks = promotedStacks(ctx.config.rootDir, options.stacks ?? []);
  ctx.out.step(`promote ${fromName} -> ${toName}: ${stacks.join(", ") || "no stack has image parameters"}`);
  const plans = await planPromotion(from, to, stacks);
  showPlan(ctx, fromName, toName, plans);
  const result: PromotionResult = {
    kind: "promote",
    from: fromName,
    to: toName,
    dryRun: options.dryRun ?? false,
    stacks: plans,
    deployed: [],
  };
  if (options.dryRun) {
    ctx.out.success(`dry run: nothing deployed to ${toName}`);
    return result;
  }
  const byStack = new Map(plans.map((p) => [p.stack, p]));
  for (const stack of orderStacks(stacks, (n) => stackAfter(ctx.config.rootDir, n))) {
    const plan = byStack.get(stack)!;
    const source = `stack ${plan.fromStackName} (environment ${fromName})`;
    const deployed = await deployStack(to, stack, {
      images: plan.moves.map((m) => ({ parameter: m.parameter, image: m.image, uri: m.uri, source })),
      extraTags: Object.assign(
        {},
        ...plan.moves.map((m) =>
          originTag({ parameter: m.parameter, environment: fromName, digest: m.digest }),
        ),
      ),
      ...(options.lint === undefined ? {} : { lint: options.lint }),
      approve: options.approve ?? false,
    });
    result.deployed.push(deployed);
  }
  return result;
}
