/**
 * The CloudFormation calls the deploy engine makes, behind one small interface: the engine's
 * steps are plain functions over it, so their orchestration is unit-tested with a fake (see
 * test/engine.test.ts) and runs against CloudFormation (or the emulator) through the SDK here.
 * Errors are the SDK's own; the engine decides what each means. The stack itself and its template
 * are read through @prebake/stack's deployed-stack reader, as the in-use scan reads them.
 */
import {
  type Capability,
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  ExecuteChangeSetCommand,
  paginateDescribeChangeSet,
  paginateDescribeStackEvents,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { deployedTemplateBody, describeDeployedStack } from "@prebake/stack/deployed";
import { newEvents } from "./events.ts";
import type { TemplateSource } from "./template-source.ts";

/** A change set by id, with the stack it belongs to (ids, not names: unambiguous after a recreate). */
export interface ChangeSetRef {
  changeSetId: string;
  stackId: string;
}

export interface ChangeSetRequest {
  stackName: string;
  changeSetName: string;
  type: "CREATE" | "UPDATE";
  /** Inline, or an S3 URL for a body over 51,200 bytes. */
  template: TemplateSource;
  parameters: { key: string; value: string }[];
  tags: Record<string, string>;
  capabilities: string[];
  description: string;
}

export interface ChangeSetState {
  status: string;
  reason: string | undefined;
  /** AVAILABLE until it is executed: the one state in which taking it back changes nothing. */
  executionStatus?: string | undefined;
}

/** A resource of a deployed stack. */
export interface StackResource {
  logicalId: string;
  physicalId: string | undefined;
  type: string;
}

export interface StackApi {
  /** The stack, or undefined when there is none by that name or id. */
  describeStack(stackNameOrId: string): Promise<Stack | undefined>;
  /** The deployed template body, as it was sent (TemplateStage Original). */
  templateBody(stackName: string): Promise<string>;
  createChangeSet(request: ChangeSetRequest): Promise<ChangeSetRef>;
  changeSetState(ref: ChangeSetRef): Promise<ChangeSetState>;
  /** Every change of a created change set (all pages). */
  changeSetChanges(ref: ChangeSetRef): Promise<Change[]>;
  deleteChangeSet(ref: ChangeSetRef): Promise<void>;
  executeChangeSet(ref: ChangeSetRef): Promise<void>;
  deleteStack(stackId: string): Promise<void>;
  /** The stack's resources with their physical ids (what a teardown keeps is named by them). */
  stackResources(stackId: string): Promise<StackResource[]>;
  /** Ids of the newest events (one page): enough to mark where the next operation's events start. */
  recentEventIds(stackId: string): Promise<string[]>;
  /** Events newer than `seen`, oldest first, reading further pages only while all are new. */
  newStackEvents(stackId: string, seen: Set<string>): Promise<StackEvent[]>;
}

/** The SDK behind StackApi. */
export function cloudFormationApi(client: CloudFormationClient): StackApi {
  const changeSet = (ref: ChangeSetRef) => ({ ChangeSetName: ref.changeSetId, StackName: ref.stackId });
  return {
    describeStack: (id) => describeDeployedStack(client, id),
    async templateBody(stackName) {
      const body = await deployedTemplateBody(client, stackName);
      // Asked for only after the stack was described: gone now means deleted meanwhile.
      if (body === undefined) throw new Error(`stack ${stackName} was deleted while its template was read`);
      return body;
    },
    async createChangeSet(r) {
      const res = await client.send(
        new CreateChangeSetCommand({
          StackName: r.stackName,
          ChangeSetName: r.changeSetName,
          ChangeSetType: r.type,
          ...("url" in r.template ? { TemplateURL: r.template.url } : { TemplateBody: r.template.body }),
          Parameters: r.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
          Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
          Capabilities: r.capabilities as Capability[],
          Description: r.description,
          IncludeNestedStacks: false,
        }),
      );
      return { changeSetId: res.Id!, stackId: res.StackId! };
    },
    async changeSetState(ref) {
      const res = await client.send(new DescribeChangeSetCommand(changeSet(ref)));
      return { status: res.Status ?? "", reason: res.StatusReason, executionStatus: res.ExecutionStatus };
    },
    async changeSetChanges(ref) {
      const changes: Change[] = [];
      for await (const page of paginateDescribeChangeSet({ client }, changeSet(ref)))
        changes.push(...(page.Changes ?? []));
      return changes;
    },
    async deleteChangeSet(ref) {
      await client.send(new DeleteChangeSetCommand(changeSet(ref)));
    },
    async executeChangeSet(ref) {
      await client.send(new ExecuteChangeSetCommand(changeSet(ref)));
    },
    async deleteStack(stackId) {
      await client.send(new DeleteStackCommand({ StackName: stackId }));
    },
    async stackResources(stackId) {
      const res = await client.send(new DescribeStackResourcesCommand({ StackName: stackId }));
      // moto answers an entry without ids for each resource type it skipped: not a resource.
      return (res.StackResources ?? [])
        .filter((r) => r.LogicalResourceId)
        .map((r) => ({
          logicalId: r.LogicalResourceId!,
          physicalId: r.PhysicalResourceId,
          type: r.ResourceType ?? "?",
        }));
    },
    async recentEventIds(stackId) {
      const res = await client.send(new DescribeStackEventsCommand({ StackName: stackId }));
      return (res.StackEvents ?? []).map((e) => e.EventId ?? "");
    },
    async newStackEvents(stackId, seen) {
      const collected: StackEvent[] = [];
      for await (const page of paginateDescribeStackEvents({ client }, { StackName: stackId })) {
        const events = page.StackEvents ?? [];
        const fresh = newEvents(events, seen);
        collected.unshift(...fresh);
        if (fresh.length < events.length) break; // reached an event already seen: older pages are too
      }
      return collected;
    },
  };
}
