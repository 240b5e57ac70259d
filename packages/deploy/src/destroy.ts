/**
 * `prebake destroy [stack...]`: take an environment's stacks down, as `cdk destroy`, `sam delete`
 * and `rain rm` do. Stacks go in reverse dependency order (each before the stacks its
 * Metadata.Prebake.After names), each delete followed through its events with the stack deadline,
 * as a deploy is. What the template retains (DeletionPolicy Retain, RetainExceptOnCreate, Snapshot)
 * stays in the account, and the plan and the result name it with its physical id.
 *
 * Images and layer versions are not in any stack: ECR repositories are reconciled by `prebake push`
 * and layer versions published by `prebake layer publish`, through their APIs, so a destroy never
 * touches them (other environments' stacks run the same digests and versions). A stack that does
 * own an ECR repository or a layer version without retaining it is refused (exit 9) before anything
 * is deleted. A protected environment needs approval (approval.ts), after the plan is shown.
 */
import { rmSync } from "node:fs";
import {
  ConfigError,
  type Context,
  distPaths,
  environmentSegment,
  formatDuration,
  listStacks,
  RefusedError,
} from "@prebake/core";
import { parseTemplate, type Template } from "@prebake/stack";
import { type Approval, approvalFor } from "./approval.ts";
import type { StackResource } from "./cfn-api.ts";
import { stackEngine } from "./deploy.ts";
import { awsStep, type Engine } from "./engine.ts";
import { orderStacks, stackAfter } from "./order.ts";
import { deleteStackAndWait } from "./recreate.ts";
import { isStatefulType } from "./review.ts";

export interface DestroyOptions {
  /** Stack folders (none: every stack under stacks/). */
  stacks?: string[];
  dryRun?: boolean;
  approve?: boolean;
  /** For tests: the approval to use instead of the environment's. */
  approval?: Approval;
}

export interface TornResource {
  logicalId: string;
  type: string;
  physicalId: string | undefined;
}

export interface KeptResource extends TornResource {
  /** Why CloudFormation leaves it: the template's DeletionPolicy. */
  deletionPolicy: string;
}

export interface StackTeardown {
  stack: string;
  stackName: string;
  /** not-deployed: nothing by that name; would-delete: a dry run; deleted: gone now. */
  action: "not-deployed" | "would-delete" | "deleted";
  deleted: (TornResource & { stateful?: boolean })[];
  kept: KeptResource[];
  durationMs: number;
}

export interface DestroyResult {
  kind: "destroy";
  environment: string;
  profile: string;
  dryRun: boolean;
  stacks: StackTeardown[];
}

/** A teardown's plan for one stack: the engine, the stack's id and what goes and stays. */
interface StackPlan {
  teardown: StackTeardown;
  engine: Engine;
  stackId: string | undefined;
}

/** What CloudFormation leaves behind when a stack is deleted. */
const RETAINING = new Set(["Retain", "RetainExceptOnCreate", "Snapshot"]);

/** Resource types whose deletion takes images or layer versions away (from every environment that runs them). */
const SHARED_ARTIFACTS = new Set([
  "AWS::ECR::Repository",
  "AWS::ECR::PublicRepository",
  "AWS::Lambda::LayerVersion",
]);

/** Split a deployed stack's resources into what its deletion removes and what the template keeps. */
export function splitResources(
  template: Template,
  resources: StackResource[],
): { deleted: TornResource[]; kept: KeptResource[] } {
  const deleted: TornResource[] = [];
  const kept: KeptResource[] = [];
  for (const r of resources) {
    const policy = template.Resources?.[r.logicalId]?.DeletionPolicy;
    const entry = { logicalId: r.logicalId, type: r.type, physicalId: r.physicalId };
    if (typeof policy === "string" && RETAINING.has(policy)) kept.push({ ...entry, deletionPolicy: policy });
    else deleted.push(entry);
  }
  return { deleted, kept };
}

/** The stack folders to destroy, in the order they go: reverse dependency order. */
export function teardownOrder(rootDir: string, names: string[]): string[] {
  const known = listStacks(rootDir, "source-or-template");
  const wanted = names.length ? [...new Set(names)] : known;
  for (const name of wanted) {
    if (!known.includes(name)) {
      throw new ConfigError(`unknown stack '${name}'`, {
        where: `stacks/${name}`,
        fix: known.length ? `use one of: ${known.join(", ")}` : "there are no stacks under stacks/",
      });
    }
  }
  return orderStacks(wanted, (n) => stackAfter(rootDir, n)).reverse();
}

async function planStack(ctx: Context, name: string, withStateful: boolean): Promise<StackPlan> {
  const engine = stackEngine(ctx, name);
  const started = performance.now();
  const teardown: StackTeardown = {
    stack: name,
    stackName: engine.stackName,
    action: "not-deployed",
    deleted: [],
    kept: [],
    durationMs: 0,
  };
  const stack = await awsStep(engine, "DescribeStacks", () => engine.api.describeStack(engine.stackName));
  if (!stack || stack.StackStatus === "DELETE_COMPLETE") return { teardown, engine, stackId: undefined };
  const stackId = stack.StackId ?? engine.stackName;
  const [body, resources] = await Promise.all([
    awsStep(engine, "GetTemplate", () => engine.api.templateBody(stackId)),
    awsStep(engine, "DescribeStackResources", () => engine.api.stackResources(stackId)),
  ]);
  const { deleted, kept } = splitResources(
    parseTemplate(body, `deployed template of ${engine.stackName}`),
    resources,
  );
  const shared = deleted.filter((r) => SHARED_ARTIFACTS.has(r.type));
  if (shared.length > 0) {
    throw new RefusedError(
      `deleting ${engine.stackName} would delete ${shared.map((r) => `${r.logicalId} (${r.type})`).join(", ")}: images and layer versions outlive an environment (other environments' stacks may run them)`,
      {
        where: `stack ${engine.stackName}`,
        fix: "give those resources DeletionPolicy: Retain and deploy, or delete them yourself once nothing uses them",
      },
    );
  }
  teardown.action = "would-delete";
  teardown.kept = kept;
  teardown.deleted = withStateful
    ? await Promise.all(deleted.map(async (r) => ({ ...r, stateful: await isStatefulType(r.type) })))
    : deleted;
  teardown.durationMs = Math.round(performance.now() - started);
  return { teardown, engine, stackId };
}

const shown = (r: TornResource) => `${r.logicalId} (${r.type}${r.physicalId ? ` ${r.physicalId}` : ""})`;

function showPlan(ctx: Context, plans: StackPlan[]): void {
  const { out } = ctx;
  for (const { teardown: t } of plans) {
    if (t.action === "not-deployed") {
      out.info(`${t.stackName}: not deployed, nothing to delete`);
      continue;
    }
    out.info(`${t.stackName}: deletes ${t.deleted.length} resource(s), keeps ${t.kept.length}`);
    for (const r of t.deleted)
      out.info(`  - ${shown(r)}${r.stateful ? "  [stateful: its data goes with it]" : ""}`);
    for (const r of t.kept) out.info(`  = ${shown(r)}  kept (DeletionPolicy ${r.deletionPolicy})`);
  }
  out.info(
    "images and layer versions are not in any stack (prebake push and layer publish own them): destroy leaves them; " +
      "the repositories' lifecycle policies expire the images nothing uses",
  );
}

export async function destroy(ctx: Context, options: DestroyOptions = {}): Promise<DestroyResult> {
  const { config, out } = ctx;
  const { environment } = config;
  const order = teardownOrder(config.rootDir, options.stacks ?? []);
  out.step(
    `destroy ${environment.implicit ? "" : `environment ${environment.name}: `}${order.join(", ") || "no stacks"}${options.dryRun ? " (dry run)" : ""}`,
  );
  const approval = options.approval ?? approvalFor(environment, out, { approve: options.approve ?? false });
  // Every stack is read (and refused if it would take shared artifacts) before any is deleted.
  const plans: StackPlan[] = [];
  for (const name of order)
    plans.push(await planStack(ctx, name, options.dryRun === true || approval !== undefined));
  showPlan(ctx, plans);
  const result: DestroyResult = {
    kind: "destroy",
    environment: environment.name,
    profile: config.profile.name,
    dryRun: options.dryRun ?? false,
    stacks: plans.map((p) => p.teardown),
  };
  const doomed = plans.filter((p) => p.stackId !== undefined);
  if (options.dryRun || doomed.length === 0) {
    out.success(options.dryRun ? "dry run: nothing deleted" : "nothing to delete");
    return result;
  }
  await approval?.confirm(
    `delete ${doomed.length} stack(s): ${doomed.map((p) => p.teardown.stackName).join(", ")}`,
    `environment ${environment.name}`,
  );
  for (const plan of doomed) {
    const started = performance.now();
    out.info(`deleting ${plan.teardown.stackName}`);
    await deleteStackAndWait(plan.engine, plan.stackId!);
    rmSync(distPaths.stackOutputs(config.rootDir, plan.teardown.stack, environmentSegment(environment)), {
      force: true,
    });
    plan.teardown.action = "deleted";
    plan.teardown.durationMs = Math.round(performance.now() - started);
    const kept = plan.teardown.kept.length ? `; kept ${plan.teardown.kept.map(shown).join(", ")}` : "";
    out.success(`${plan.teardown.stackName}: deleted in ${formatDuration(plan.teardown.durationMs)}${kept}`);
  }
  return result;
}
