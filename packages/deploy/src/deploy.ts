/**
 * The deploy engine: one stack from stacks/<name>/stack.yaml to CloudFormation.
 *
 *   lint -> parameters -> DescribeStacks -> (recreate a ROLLBACK_COMPLETE stack) ->
 *   GetTemplate + compare -> skip | change set -> diff -> (dry run: delete) | execute ->
 *   stream events until done -> outputs to dist/stacks/<name>.json
 *
 * A no-op deploy makes two read-only calls (DescribeStacks, GetTemplate) and never sleeps.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import {
  type Capability,
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import {
  awsCallLog,
  ConfigError,
  type Context,
  classifyAwsError,
  DeployFailedError,
  firstLine,
  formatDuration,
  isPrebakeError,
  ValidationError,
} from "@prebake/core";
import { countCalls } from "./api-calls.ts";
import { compareStacks } from "./compare.ts";
import { changeRows, formatChangeRows, type ResourceChangeRow } from "./diff.ts";
import { findRootCause, formatEvent, newEvents } from "./events.ts";
import { imageParameterSource, imageParameterValues } from "./image-parameters.ts";
import { formatFinding, lintTemplate } from "./lint.ts";
import { writeStackOutputs } from "./outputs.ts";
import { resolveParameters } from "./parameters.ts";
import { type Backoff, DEFAULT_BACKOFF, pollUntil } from "./poll.ts";
import { cloudFormationStackName, stackTemplatePath } from "./stacks.ts";
import { classifyStackStatus, isSuccessStatus, isTerminalStatus } from "./status.ts";
import { type ParsedTemplate, parseTemplate, requiredCapabilities } from "./template.ts";

export interface DeployOptions {
  /** Create the change set, show it, delete it. */
  dryRun?: boolean;
  /** --parameter Key=Value overrides (highest precedence). */
  parameters?: Record<string, string>;
  /** Run cfn-lint first (default true). */
  lint?: boolean;
  backoff?: Backoff;
  /**
   * Create a change set even when the comparison finds nothing to change. Only for testing the
   * service's own empty-change-set answers; the CLI does not expose it.
   */
  bypassSkip?: boolean;
}

export type DeployAction = "created" | "updated" | "skipped" | "no-changes" | "dry-run";

export interface DeployResult {
  stack: string;
  stackName: string;
  action: DeployAction;
  changes: ResourceChangeRow[];
  /** Why a change set was needed (empty when skipped). */
  differences: string[];
  /** True when a ROLLBACK_COMPLETE / REVIEW_IN_PROGRESS stack was deleted first. */
  recreated: boolean;
  status: string | undefined;
  outputs: Record<string, string>;
  durationMs: number;
  apiCalls: number;
  apiCallsByCommand: Record<string, number>;
}

/** 51,200 bytes: the most CloudFormation accepts as TemplateBody (larger needs an S3 upload). */
const MAX_TEMPLATE_BODY = 51_200;

const EMPTY_CHANGE_SET = /didn't contain changes|No updates are to be performed/i;

const errorName = (err: unknown) => (err as { name?: string }).name ?? "";
const errorMessage = firstLine;

export async function deployStack(
  ctx: Context,
  name: string,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const started = performance.now();
  const firstCall = awsCallLog.length;
  const { config, out } = ctx;
  const root = config.rootDir;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const stackName = cloudFormationStackName(config.project, name);

  // --- Everything that can be checked without AWS comes first: nothing is touched on bad input.
  const file = stackTemplatePath(root, name);
  const where = relative(root, file);
  const body = readFileSync(file, "utf8");
  const template = parseTemplate(body, where);
  out.step(`deploy ${name} -> ${stackName}`);
  if (Buffer.byteLength(body) > MAX_TEMPLATE_BODY) {
    throw new ConfigError(
      `template is ${Buffer.byteLength(body)} bytes; CloudFormation takes at most 51200 inline`,
      {
        where,
        fix: "split the stack (uploading templates to S3 is not supported yet)",
      },
    );
  }
  if (options.lint !== false) {
    const { findings, cached } = await lintTemplate(root, file, body);
    for (const f of findings) if (f.level !== "error") out.warn(formatFinding(f));
    const errors = findings.filter((f) => f.level === "error");
    if (errors.length > 0) {
      for (const f of errors) out.error(formatFinding(f));
      throw new ValidationError(
        `cfn-lint found ${errors.length} error(s), first: ${errors[0]!.rule}: ${errors[0]!.message}`,
        {
          where: `${errors[0]!.file}:${errors[0]!.line}`,
          fix: "fix the stack source and render again (or --no-lint to deploy anyway)",
        },
      );
    }
    out.debug(`cfn-lint: passed${cached ? " (this template body passed before)" : ""}`);
  }

  const stackConfig = config.stacks[name] ?? { parameters: {}, tags: {} };
  const configShown = config.configFile ? relative(root, config.configFile) : "prebake.config.yaml";
  const images = await imageParameterValues(ctx, template, where);
  const parameters = resolveParameters(
    template,
    where,
    [
      { label: (k) => `--parameter ${k}`, values: options.parameters ?? {} },
      imageParameterSource(images),
      { label: (k) => `${configShown}: stacks.${name}.parameters.${k}`, values: stackConfig.parameters },
    ],
    (key) => `set stacks.${name}.parameters.${key} in ${configShown}, or pass --parameter ${key}=<value>`,
  );
  for (const p of parameters) out.debug(`parameter ${p.key} = ${p.noEcho ? "****" : p.value}  (${p.from})`);
  const tags = { ...config.tags, ...stackConfig.tags, "prebake:stack": name };
  const capabilities = requiredCapabilities(template);

  // --- AWS from here on.
  const cfn = ctx.aws(CloudFormationClient);
  const fail = (err: unknown, action: string): never => {
    const classified = classifyAwsError(err, config.profile, `stack ${stackName}`);
    if (isPrebakeError(classified)) throw classified;
    throw new DeployFailedError(`${action} failed: ${errorName(err)}: ${errorMessage(err)}`, {
      where: `stack ${stackName}`,
      fix: "see the message; fix the template or parameters and deploy again",
      cause: err,
    });
  };
  const describe = async (id: string): Promise<Stack | undefined> => {
    try {
      const res = await cfn.send(new DescribeStacksCommand({ StackName: id }));
      return res.Stacks?.[0];
    } catch (err) {
      if (errorName(err) === "ValidationError" && /does not exist/i.test(errorMessage(err))) return undefined;
      return fail(err, "DescribeStacks");
    }
  };

  const result = (action: DeployAction, extra: Partial<DeployResult> = {}): DeployResult => {
    const calls = countCalls(awsCallLog.slice(firstCall));
    out.debug(
      `AWS API calls: ${calls.total} (${Object.entries(calls.byCommand)
        .map(([c, n]) => `${c} ${n}`)
        .join(", ")})`,
    );
    return {
      stack: name,
      stackName,
      action,
      changes: [],
      differences: [],
      recreated: false,
      status: undefined,
      outputs: {},
      ...extra,
      durationMs: Math.round(performance.now() - started),
      apiCalls: calls.total,
      apiCallsByCommand: calls.byCommand,
    };
  };

  let stack = await describe(stackName);
  const disposition = classifyStackStatus(stack?.StackStatus, stackName);
  if (disposition.kind === "stuck") {
    throw new DeployFailedError(`cannot deploy: ${disposition.why}`, {
      where: `stack ${stackName}`,
      fix: disposition.instruction,
    });
  }
  let recreated = false;
  if (disposition.kind === "recreate" && stack) {
    if (options.dryRun) {
      out.info(`stack ${stackName}: ${disposition.why}; a deploy deletes it and creates it again`);
      const rows = Object.entries(template.Resources ?? {}).map(([id, r]) => ({
        action: "Add",
        logicalId: id,
        type: r.Type,
        properties: [],
        detailFrom: "none" as const,
      }));
      for (const line of formatChangeRows(rows)) out.info(line);
      return result("dry-run", { changes: rows, status: stack.StackStatus });
    }
    out.info(`stack ${stackName}: ${disposition.why}; deleting it and creating it again`);
    await deleteStackAndWait(stack.StackId ?? stackName);
    stack = undefined;
    recreated = true;
  }

  let deployedTemplate: ParsedTemplate | undefined;
  let differences: string[] = [];
  if (stack) {
    let deployedBody: string;
    try {
      const res = await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: "Original" }));
      deployedBody =
        typeof res.TemplateBody === "string" ? res.TemplateBody : JSON.stringify(res.TemplateBody ?? {});
    } catch (err) {
      return fail(err, "GetTemplate");
    }
    differences = compareStacks(
      { templateBody: body, parameters, tags, capabilities },
      {
        templateBody: deployedBody,
        parameters: stack.Parameters ?? [],
        tags: stack.Tags ?? [],
        capabilities: stack.Capabilities,
      },
    );
    try {
      deployedTemplate = parseTemplate(deployedBody, `deployed template of ${stackName}`);
    } catch {
      deployedTemplate = undefined; // only used for the property diff
    }
    if (differences.length === 0 && !options.bypassSkip) {
      const outputs = await writeStackOutputs(root, name, stack);
      out.success(`${name}: unchanged (template, parameters, tags, capabilities) - skipped`);
      return result("skipped", { status: stack.StackStatus, outputs });
    }
    out.info(`changed: ${differences.join("; ") || "(none found; change set forced)"}`);
  }

  // --- Change set.
  const changeSetType = stack ? "UPDATE" : "CREATE";
  const changeSetName = `prebake-${Date.now()}`;
  let changeSetId: string;
  let stackId: string;
  try {
    const res = await cfn.send(
      new CreateChangeSetCommand({
        StackName: stackName,
        ChangeSetName: changeSetName,
        ChangeSetType: changeSetType,
        TemplateBody: body,
        Parameters: parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        Capabilities: capabilities as Capability[],
        Description: `prebake deploy ${name}`,
        IncludeNestedStacks: false,
      }),
    );
    changeSetId = res.Id!;
    stackId = res.StackId!;
  } catch (err) {
    // The service answers an identical update either way: here, or as a FAILED change set below.
    if (errorName(err) === "ValidationError" && EMPTY_CHANGE_SET.test(errorMessage(err))) {
      out.success(`${name}: no changes (${errorMessage(err)})`);
      return result("no-changes", { status: stack?.StackStatus, differences, recreated });
    }
    return fail(err, "CreateChangeSet");
  }
  out.debug(`change set ${changeSetName} (${changeSetType})`);

  /** Leave nothing behind: the change set, and for a create the empty REVIEW_IN_PROGRESS stack. */
  const discardChangeSet = async () => {
    try {
      await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId }));
    } catch (err) {
      out.warn(`could not delete change set ${changeSetName}: ${errorMessage(err)}`);
    }
    if (changeSetType === "CREATE") await deleteStackAndWait(stackId, { quiet: true });
  };

  let rows: ResourceChangeRow[];
  try {
    const first = await pollUntil(async () => {
      const res = await cfn.send(
        new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId }),
      );
      return res.Status === "CREATE_PENDING" || res.Status === "CREATE_IN_PROGRESS" ? undefined : res;
    }, backoff);
    if (first.Status === "FAILED") {
      const reason = first.StatusReason ?? "no reason given";
      await discardChangeSet();
      if (EMPTY_CHANGE_SET.test(reason)) {
        out.success(`${name}: no changes (the service found nothing to change; change set deleted)`);
        return result("no-changes", { status: stack?.StackStatus, differences, recreated });
      }
      throw new DeployFailedError(`change set failed: ${reason}`, {
        where: `stack ${stackName}`,
        fix: "fix the template or parameters and deploy again",
      });
    }
    const changes = await allChanges(first);
    rows = changeRows(changes, deployedTemplate, template);
    if (rows.length === 0) out.info("the change set lists no resource changes (stack parameters or tags)");
    for (const line of formatChangeRows(rows)) out.info(line);
    if (options.dryRun) {
      await discardChangeSet();
      out.success(
        `${name}: dry run - ${rows.length} resource change(s); change set deleted, nothing executed`,
      );
      return result("dry-run", { changes: rows, differences, status: stack?.StackStatus, recreated });
    }
  } catch (err) {
    if (isPrebakeError(err)) throw err;
    await discardChangeSet();
    return fail(err, "DescribeChangeSet");
  }

  // --- Execute and follow the events.
  const seen = new Set<string>();
  try {
    const res = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
    for (const e of res.StackEvents ?? []) seen.add(e.EventId ?? "");
  } catch (err) {
    await discardChangeSet();
    return fail(err, "DescribeStackEvents");
  }
  try {
    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId }));
  } catch (err) {
    const classified = classifyAwsError(err, config.profile, `stack ${stackName}`);
    if (isPrebakeError(classified)) throw classified;
    // The service refused or broke while executing (moto answers a failing resource with a bare 500).
    const now = await describe(stackId);
    throw new DeployFailedError(
      `executing the change set failed: ${errorName(err)}: ${errorMessage(err)}; stack status ${now?.StackStatus ?? "unknown"}`,
      {
        where: `stack ${stackName}`,
        fix: `see \`aws cloudformation describe-stack-events --stack-name ${stackName}\`; fix the cause and deploy again`,
        cause: err,
      },
    );
  }
  const verb = changeSetType === "CREATE" ? "create" : "update";
  const { final, events } = await followStack(stackId, seen);
  const status = final?.StackStatus ?? "DELETE_COMPLETE";
  if (!final || !isSuccessStatus(status)) {
    const root = findRootCause(events);
    const cause = root
      ? `${root.LogicalResourceId} (${root.ResourceType}) ${root.ResourceStatus}: ${root.ResourceStatusReason ?? "no reason given"}`
      : "no failed resource event found";
    out.error(`root cause: ${cause}`);
    out.error(`final status: ${status}`);
    throw new DeployFailedError(`${verb} failed: ${cause}; final status ${status}`, {
      where: `stack ${stackName}`,
      fix:
        status === "ROLLBACK_COMPLETE"
          ? "fix the cause; the next deploy deletes the rolled-back stack and creates it again"
          : "fix the cause and deploy again",
    });
  }
  const outputs = await writeStackOutputs(root, name, final);
  const action: DeployAction = changeSetType === "CREATE" ? "created" : "updated";
  out.success(`${name}: ${action} (${status}) in ${formatDuration(performance.now() - started)}`);
  return result(action, { changes: rows, differences, status, outputs, recreated });

  // --- helpers (closures over cfn/out) ---

  async function allChanges(first: DescribeChangeSetCommandOutput): Promise<Change[]> {
    const changes = [...(first.Changes ?? [])];
    let token = first.NextToken;
    while (token) {
      const page = await cfn.send(
        new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId, NextToken: token }),
      );
      changes.push(...(page.Changes ?? []));
      token = page.NextToken;
    }
    return changes;
  }

  /** Print new events (oldest first) until the stack reaches a terminal status. */
  async function followStack(id: string, seenIds: Set<string>, quiet = false) {
    const events: StackEvent[] = [];
    const final = await pollUntil(async () => {
      let current: Stack | undefined;
      let page: StackEvent[];
      try {
        // Status first, then events: when the status is terminal, the events read after it are complete.
        current = await describe(id);
        page = await newEventsSince(id, seenIds);
      } catch (err) {
        return fail(err, "waiting for the stack");
      }
      for (const e of page) {
        seenIds.add(e.EventId ?? "");
        events.push(e);
        if (!quiet) out.info(formatEvent(e));
      }
      if (!current) return { stack: undefined };
      return isTerminalStatus(current.StackStatus ?? "") ? { stack: current } : undefined;
    }, backoff);
    return { final: final.stack, events };
  }

  /** Events newer than the seen ones, oldest first, reading further pages only when needed. */
  async function newEventsSince(id: string, seenIds: Set<string>): Promise<StackEvent[]> {
    const collected: StackEvent[] = [];
    let token: string | undefined;
    do {
      const res = await cfn.send(new DescribeStackEventsCommand({ StackName: id, NextToken: token }));
      const pageEvents = res.StackEvents ?? [];
      const fresh = newEvents(pageEvents, seenIds);
      collected.unshift(...fresh);
      if (fresh.length < pageEvents.length) break; // reached an event already seen
      token = res.NextToken;
    } while (token);
    return collected;
  }

  async function deleteStackAndWait(id: string, opts: { quiet?: boolean } = {}) {
    const seenIds = new Set<string>();
    try {
      // Mark the old events seen, so only the delete's own events are printed.
      for (const e of await newEventsSince(id, seenIds)) seenIds.add(e.EventId ?? "");
      await cfn.send(new DeleteStackCommand({ StackName: id }));
    } catch (err) {
      return fail(err, "DeleteStack");
    }
    const { final } = await followStack(id, seenIds, opts.quiet ?? false);
    if (final && final.StackStatus !== "DELETE_COMPLETE") {
      const d = classifyStackStatus(final.StackStatus, stackName);
      throw new DeployFailedError(`deleting the stack ended in ${final.StackStatus}`, {
        where: `stack ${stackName}`,
        fix: d.kind === "stuck" ? d.instruction : "see the stack events",
      });
    }
  }
}
