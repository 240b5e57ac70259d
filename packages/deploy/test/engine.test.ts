/**
 * The deploy engine's orchestration over a fake StackApi: which calls each path makes, in what
 * order, what it leaves behind, and how it fails. The fake keeps stacks, change sets and events
 * the way CloudFormation does; the integration tests run the same steps against the emulator.
 */
import { PassThrough } from "node:stream";
import type { Change, Stack, StackEvent } from "@aws-sdk/client-cloudformation";
import {
  DEFAULT_TIMEOUTS,
  DeployFailedError,
  ExitCode,
  Output,
  RefusedError,
  UnavailableError,
} from "@prebake/core";
import { parseTemplate } from "@prebake/stack";
import { describe, expect, it } from "vitest";
import { approvalFor } from "../src/approval.ts";
import type { ChangeSetRef, ChangeSetRequest, ChangeSetState, StackApi } from "../src/cfn-api.ts";
import type { Engine } from "../src/engine.ts";
import type { PreparedDeploy } from "../src/prepare.ts";
import { runDeploy } from "../src/run.ts";

const BODY = `Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties: { Type: String, Value: one }
`;

interface FakeStack {
  id: string;
  name: string;
  status: string;
  body: string;
  parameters: { key: string; value: string }[];
  tags: Record<string, string>;
}

/** How the fake behaves beyond the plain success path. */
interface Knobs {
  /** The status a computed change set gets, and why (e.g. FAILED: didn't contain changes). */
  changeSet?: ChangeSetState;
  /** The resource that fails when the change set runs, with the service's reason. */
  failing?: { logicalId: string; reason: string };
  /** After execution the stack stays in this status (a stack that never settles). */
  stuckIn?: string;
  /** From this call on, the endpoint no longer answers. */
  hangFrom?: keyof StackApi;
  /** ExecuteChangeSet is refused with this service error (nothing starts). */
  executeRefused?: { name: string; message: string };
}

class FakeCloudFormation implements StackApi {
  readonly calls: string[] = [];
  readonly stacks = new Map<string, FakeStack>();
  readonly changeSets = new Map<string, ChangeSetRequest & { stackId: string }>();
  readonly events = new Map<string, StackEvent[]>();
  /** Templates put in "S3" by the engine's uploader, by URL. */
  readonly uploaded = new Map<string, string>();
  readonly requests: ChangeSetRequest[] = [];
  #serial = 0;
  #hung = false;
  readonly knobs: Knobs;

  constructor(knobs: Knobs = {}) {
    this.knobs = knobs;
  }

  #call(name: keyof StackApi) {
    this.calls.push(name);
    if (this.knobs.hangFrom === name) this.#hung = true;
    if (this.#hung) {
      throw Object.assign(new Error("a request has exceeded the configured 1000 ms requestTimeout."), {
        name: "TimeoutError",
        deadline: { phase: "answer", ms: 1000 },
      });
    }
  }

  #byNameOrId(nameOrId: string) {
    return [...this.stacks.values()].find(
      (s) => s.id === nameOrId || (s.name === nameOrId && !s.status.startsWith("DELETE_COMPLETE")),
    );
  }

  #event(stack: FakeStack, logicalId: string, type: string, status: string, reason?: string) {
    const list = this.events.get(stack.id) ?? [];
    list.unshift({
      StackId: stack.id,
      StackName: stack.name,
      EventId: `e${++this.#serial}`,
      LogicalResourceId: logicalId,
      ResourceType: type,
      ResourceStatus: status as StackEvent["ResourceStatus"],
      ...(reason ? { ResourceStatusReason: reason } : {}),
      Timestamp: new Date("2026-01-02T03:04:05Z"),
    });
    this.events.set(stack.id, list);
  }

  /** A stack as if deployed before the test. */
  deployed(name: string, status: string, body = BODY, tags: Record<string, string> = {}) {
    const stack = { id: `arn:stack/${name}/${++this.#serial}`, name, status, body, parameters: [], tags };
    this.stacks.set(stack.id, stack);
    this.#event(stack, name, "AWS::CloudFormation::Stack", status);
    return stack;
  }

  async describeStack(nameOrId: string): Promise<Stack | undefined> {
    this.#call("describeStack");
    const s = this.#byNameOrId(nameOrId);
    if (!s) return undefined;
    return {
      StackId: s.id,
      StackName: s.name,
      StackStatus: s.status as Stack["StackStatus"],
      CreationTime: new Date(),
      Parameters: s.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
      Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
    };
  }
  async templateBody(name: string) {
    this.#call("templateBody");
    return this.#byNameOrId(name)!.body;
  }
  async createChangeSet(r: ChangeSetRequest): Promise<ChangeSetRef> {
    this.#call("createChangeSet");
    const stack =
      r.type === "CREATE"
        ? this.deployed(r.stackName, "REVIEW_IN_PROGRESS", "")
        : this.#byNameOrId(r.stackName)!;
    const id = `arn:changeSet/${r.changeSetName}/${++this.#serial}`;
    this.changeSets.set(id, { ...r, stackId: stack.id });
    this.requests.push(r);
    return { changeSetId: id, stackId: stack.id };
  }
  async changeSetState(ref: ChangeSetRef): Promise<ChangeSetState> {
    this.#call("changeSetState");
    const state = this.knobs.changeSet ?? { status: "CREATE_COMPLETE", reason: undefined };
    // Executed change sets leave the map: one still in it has not run.
    return {
      ...state,
      executionStatus: this.changeSets.has(ref.changeSetId) ? "AVAILABLE" : "EXECUTE_COMPLETE",
    };
  }
  async changeSetChanges(): Promise<Change[]> {
    this.#call("changeSetChanges");
    return [
      { ResourceChange: { Action: "Add", LogicalResourceId: "Param", ResourceType: "AWS::SSM::Parameter" } },
    ];
  }
  async deleteChangeSet(ref: ChangeSetRef) {
    this.#call("deleteChangeSet");
    this.changeSets.delete(ref.changeSetId);
  }
  async executeChangeSet(ref: ChangeSetRef) {
    this.#call("executeChangeSet");
    const refused = this.knobs.executeRefused;
    if (refused) throw Object.assign(new Error(refused.message), { name: refused.name });
    const cs = this.changeSets.get(ref.changeSetId)!;
    this.changeSets.delete(ref.changeSetId);
    const stack = this.stacks.get(cs.stackId)!;
    const verb = cs.type === "CREATE" ? "CREATE" : "UPDATE";
    const body = "body" in cs.template ? cs.template.body : (this.uploaded.get(cs.template.url) ?? "");
    Object.assign(stack, { body, parameters: cs.parameters, tags: cs.tags });
    this.#event(stack, "Param", "AWS::SSM::Parameter", `${verb}_IN_PROGRESS`);
    if (this.knobs.stuckIn) {
      stack.status = this.knobs.stuckIn;
    } else if (this.knobs.failing) {
      this.#event(
        stack,
        this.knobs.failing.logicalId,
        "AWS::SSM::Parameter",
        `${verb}_FAILED`,
        this.knobs.failing.reason,
      );
      stack.status = verb === "CREATE" ? "ROLLBACK_COMPLETE" : "UPDATE_ROLLBACK_COMPLETE";
    } else {
      this.#event(stack, "Param", "AWS::SSM::Parameter", `${verb}_COMPLETE`);
      stack.status = `${verb}_COMPLETE`;
    }
    this.#event(stack, stack.name, "AWS::CloudFormation::Stack", stack.status);
  }
  async deleteStack(stackId: string) {
    this.#call("deleteStack");
    const stack = this.stacks.get(stackId)!;
    stack.status = "DELETE_COMPLETE";
    this.#event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_COMPLETE");
  }
  async stackResources(stackId: string) {
    this.#call("stackResources");
    return this.stacks.has(stackId)
      ? [{ logicalId: "Param", physicalId: "param", type: "AWS::SSM::Parameter" }]
      : [];
  }
  async recentEventIds(stackId: string) {
    this.#call("recentEventIds");
    return (this.events.get(stackId) ?? []).map((e) => e.EventId!);
  }
  async newStackEvents(stackId: string, seen: Set<string>) {
    this.#call("newStackEvents");
    const all = this.events.get(stackId) ?? [];
    const fresh = [];
    for (const e of all) {
      if (seen.has(e.EventId!)) break;
      fresh.push(e);
    }
    return fresh.reverse();
  }
}

function engineFor(api: FakeCloudFormation, waitMs = DEFAULT_TIMEOUTS.stackMs) {
  let text = "";
  const sink = new PassThrough();
  sink.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const out = new Output({ stdout: sink, stderr: sink, tty: false, verbose: true });
  out.error = (m: string) => {
    text += `error: ${m}\n`;
  };
  const engine: Engine = {
    api,
    out,
    stackName: "p-app",
    profile: {
      name: "local",
      kind: "local",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:5060",
      registry: undefined,
      dockerSocket: undefined,
      credentials: undefined,
      accountId: undefined,
    },
    backoff: { initialMs: 0, maxMs: 0 },
    waitMs,
    uploadTemplate: async (stackName, body) => {
      const url = `https://bucket.s3.us-east-1.amazonaws.com/templates/${stackName}/${api.uploaded.size}.template`;
      api.uploaded.set(url, body);
      return url;
    },
  };
  return { engine, text: () => text };
}

const prepared = (body = BODY, tags: Record<string, string> = {}): PreparedDeploy => ({
  name: "app",
  stackName: "p-app",
  where: "stacks/app/stack.yaml",
  body,
  template: parseTemplate(body, "stacks/app/stack.yaml"),
  parameters: [],
  tags,
  capabilities: [],
});

const live = (api: FakeCloudFormation) =>
  [...api.stacks.values()].filter((s) => s.status !== "DELETE_COMPLETE");

describe("deploy engine orchestration (fake CloudFormation)", () => {
  it("creates a new stack: change set, execute, follow the events to CREATE_COMPLETE", async () => {
    const api = new FakeCloudFormation();
    const { engine, text } = engineFor(api);
    const outcome = await runDeploy(engine, prepared());
    expect(outcome).toMatchObject({
      action: "created",
      status: "CREATE_COMPLETE",
      recreated: false,
      differences: [],
    });
    expect(outcome.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(["Add Param"]);
    expect(api.calls).toEqual([
      "describeStack",
      "createChangeSet",
      "changeSetState",
      "changeSetChanges",
      "recentEventIds",
      "executeChangeSet",
      "describeStack",
      "newStackEvents",
    ]);
    expect(text()).toMatch(
      /Param {2}AWS::SSM::Parameter {2}CREATE_IN_PROGRESS\n.*Param {2}AWS::SSM::Parameter {2}CREATE_COMPLETE/,
    );
  });

  it("skips an equal stack with two read-only calls; a difference is a reason given as data", async () => {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "UPDATE_COMPLETE");
    const skipped = await runDeploy(engineFor(api).engine, prepared());
    expect(skipped.action).toBe("skipped");
    expect(api.calls).toEqual(["describeStack", "templateBody"]);

    const changed = await runDeploy(engineFor(api).engine, prepared(BODY, { Team: "a" }));
    expect(changed).toMatchObject({ action: "updated", differences: ["tag Team is new"] });
  });

  it("recreates a ROLLBACK_COMPLETE stack: deleted first (its events followed), then created", async () => {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "ROLLBACK_COMPLETE");
    const { engine, text } = engineFor(api);
    const outcome = await runDeploy(engine, prepared());
    expect(outcome).toMatchObject({ action: "created", recreated: true });
    expect(api.calls.slice(0, 5)).toEqual([
      "describeStack",
      "recentEventIds",
      "deleteStack",
      "describeStack",
      "newStackEvents",
    ]);
    expect(text()).toContain("ROLLBACK_COMPLETE); deleting it and creating it again");
    expect(live(api).map((s) => s.status)).toEqual(["CREATE_COMPLETE"]);
  });

  it("an empty change set is deleted and reported as no changes", async () => {
    const api = new FakeCloudFormation({
      changeSet: { status: "FAILED", reason: "The submitted information didn't contain changes." },
    });
    api.deployed("p-app", "CREATE_COMPLETE", BODY.replace("one", "two"));
    const outcome = await runDeploy(engineFor(api).engine, prepared());
    expect(outcome.action).toBe("no-changes");
    expect(api.calls).toContain("deleteChangeSet");
    expect(api.calls).not.toContain("executeChangeSet");
    expect(api.changeSets.size).toBe(0);
  });

  it("a dry run of a new stack leaves neither the change set nor the empty REVIEW_IN_PROGRESS stack", async () => {
    const api = new FakeCloudFormation();
    const outcome = await runDeploy(engineFor(api).engine, prepared(), { dryRun: true });
    expect(outcome).toMatchObject({ action: "dry-run", stack: undefined });
    expect(api.calls).not.toContain("executeChangeSet");
    expect(api.changeSets.size).toBe(0);
    expect(live(api)).toEqual([]);
  });

  it("a failed create is exit 7 naming the root cause and the final status", async () => {
    const api = new FakeCloudFormation({
      failing: { logicalId: "Param", reason: "parameter already exists" },
    });
    const { engine, text } = engineFor(api);
    const err = await runDeploy(engine, prepared()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailedError);
    expect((err as DeployFailedError).toLine()).toBe(
      "stack p-app: create failed: Param (AWS::SSM::Parameter) CREATE_FAILED: parameter already exists; final status ROLLBACK_COMPLETE (fix: fix the cause; the next deploy deletes the rolled-back stack and creates it again)",
    );
    expect(text()).toContain("error: final status: ROLLBACK_COMPLETE");
  });

  it("a stack that never settles: the wait has a deadline, exit 5 naming the stack and its status", async () => {
    const api = new FakeCloudFormation({ stuckIn: "CREATE_IN_PROGRESS" });
    const err = await runDeploy(engineFor(api, 0).engine, prepared()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect((err as UnavailableError).toLine()).toMatch(
      /^stack p-app: stack p-app is still CREATE_IN_PROGRESS after \d+ms; prebake stopped waiting \(fix: CloudFormation carries on: .*timeouts\.stackMinutes/,
    );
  });

  it("an endpoint that stops answering: exit 5, and no cleanup calls that would only time out again", async () => {
    const api = new FakeCloudFormation({ hangFrom: "changeSetState" });
    const err = await runDeploy(engineFor(api).engine, prepared()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).toLine()).toMatch(
      /^http:\/\/127\.0\.0\.1:5060: cannot reach the AWS API \(it did not answer within 1 s\)/,
    );
    expect(api.calls).toEqual(["describeStack", "createChangeSet", "changeSetState"]);
  });

  it("a stack another operation holds is refused with the instruction, after one read-only call", async () => {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "UPDATE_ROLLBACK_FAILED");
    const err = await runDeploy(engineFor(api).engine, prepared()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailedError);
    expect((err as DeployFailedError).toLine()).toContain("continue-update-rollback --stack-name p-app");
    expect(api.calls).toEqual(["describeStack"]);
  });

  it("a template over 51,200 bytes goes through S3: the change set gets its URL, not the body", async () => {
    const api = new FakeCloudFormation();
    const big = `${BODY}Metadata:\n  Padding: ${"x".repeat(51_200)}\n`;
    const small = await runDeploy(engineFor(api).engine, prepared());
    expect(small.action).toBe("created");
    expect(api.requests[0]?.template).toEqual({ body: BODY });

    const { engine, text } = engineFor(api);
    const outcome = await runDeploy(engine, prepared(big));
    expect(outcome.action).toBe("updated");
    const sent = api.requests[1]?.template;
    expect(sent).toEqual({
      url: expect.stringMatching(/^https:\/\/bucket\.s3\.us-east-1\.amazonaws\.com\//),
    });
    expect(api.uploaded.get((sent as { url: string }).url)).toBe(big);
    expect(text()).toContain("template is over 51200 bytes: sent as https://");
    expect(live(api)[0]?.body).toBe(big);
  });

  it.each([
    ["a new stack", undefined],
    ["an update", "UPDATE_COMPLETE"],
  ])(
    "an ExecuteChangeSet the service refuses (%s): exit 7 naming the error; the change set (and a new stack's shell) is taken back",
    async (_what, deployedStatus) => {
      const api = new FakeCloudFormation({
        executeRefused: {
          name: "InvalidChangeSetStatusException",
          message: "ChangeSet is in an invalid state",
        },
      });
      if (deployedStatus) api.deployed("p-app", deployedStatus, BODY.replace("one", "two"));
      const err = await runDeploy(engineFor(api).engine, prepared()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeployFailedError);
      expect((err as DeployFailedError).exitCode).toBe(ExitCode.DEPLOY_FAILED);
      expect((err as DeployFailedError).toLine()).toMatch(
        /^stack p-app: executing the change set failed: InvalidChangeSetStatusException: ChangeSet is in an invalid state; nothing ran; the change set was deleted \(fix: /,
      );
      expect(api.changeSets.size).toBe(0);
      expect(live(api).map((s) => `${s.status} ${s.body === BODY ? "new" : "old"} body`)).toEqual(
        deployedStatus ? [`${deployedStatus} old body`] : [],
      );
    },
  );

  it("--dry-run on a ROLLBACK_COMPLETE stack says it would be recreated and changes nothing", async () => {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "ROLLBACK_COMPLETE");
    const { engine, text } = engineFor(api);
    const outcome = await runDeploy(engine, prepared(), { dryRun: true });
    expect(outcome).toMatchObject({ action: "dry-run", recreated: false, status: "ROLLBACK_COMPLETE" });
    expect(outcome.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(["Add Param"]);
    expect(text()).toContain("ROLLBACK_COMPLETE); a deploy deletes it and creates it again");
    expect(api.calls).toEqual(["describeStack"]);
    expect(live(api).map((s) => s.status)).toEqual(["ROLLBACK_COMPLETE"]);
  });
});

describe("a protected environment's approval (approval.ts in the engine)", () => {
  const UPDATED = BODY.replace("one", "two");
  /** A deployed stack, and an engine whose approval decides as `options` say; the prompt's questions are kept. */
  function protectedDeploy(options: { approve?: boolean; interactive?: boolean; answer?: string }) {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "UPDATE_COMPLETE");
    const { engine, text } = engineFor(api);
    const asked: string[] = [];
    const approval = approvalFor({ name: "prod", protected: true }, engine.out, {
      approve: options.approve ?? false,
      interactive: options.interactive ?? false,
      prompt: async (question) => {
        asked.push(question);
        return options.answer;
      },
    });
    return { api, engine, text, asked, approval };
  }

  it("without a terminal and without --approve: exit 9 after the review, the change set deleted, nothing executed", async () => {
    const { api, engine, text, approval } = protectedDeploy({});
    const err = await runDeploy(engine, prepared(UPDATED), { approval }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(ExitCode.REFUSED);
    expect((err as RefusedError).toLine()).toContain(
      "protected environment 'prod': update stack p-app needs approval, and there is no terminal to ask",
    );
    expect(text()).toContain("review:");
    expect(api.calls).toContain("deleteChangeSet");
    expect(api.calls).not.toContain("executeChangeSet");
    expect(api.changeSets.size).toBe(0);
    expect(live(api).map((s) => s.body)).toEqual([BODY]);
  });

  it("on a terminal: a no (or an empty answer) refuses and deletes the change set; a yes executes", async () => {
    for (const answer of ["n", "", undefined]) {
      const { api, engine, asked, approval } = protectedDeploy({ interactive: true, answer });
      const err = await runDeploy(engine, prepared(UPDATED), { approval }).catch((e: unknown) => e);
      expect(err, `answer ${answer}`).toBeInstanceOf(RefusedError);
      expect(asked).toEqual(["update stack p-app in protected environment 'prod'? [y/N] "]);
      expect(api.calls).not.toContain("executeChangeSet");
      expect(api.changeSets.size).toBe(0);
    }
    const yes = protectedDeploy({ interactive: true, answer: "yes" });
    const outcome = await runDeploy(yes.engine, prepared(UPDATED), { approval: yes.approval });
    expect(outcome.action).toBe("updated");
    expect(yes.api.calls).toContain("executeChangeSet");
  });

  it("--approve executes without asking; an unprotected environment needs no approval at all", async () => {
    const approved = protectedDeploy({ approve: true, interactive: true, answer: "n" });
    const outcome = await runDeploy(approved.engine, prepared(UPDATED), { approval: approved.approval });
    expect(outcome.action).toBe("updated");
    expect(approved.asked).toEqual([]);
    expect(approved.text()).toContain(
      "approved with --approve: update stack p-app in protected environment 'prod'",
    );
    expect(approvalFor({ name: "dev", protected: false }, approved.engine.out, {})).toBeUndefined();
  });

  it("a ROLLBACK_COMPLETE stack in a protected environment is not deleted before approval", async () => {
    const api = new FakeCloudFormation();
    api.deployed("p-app", "ROLLBACK_COMPLETE");
    const { engine } = engineFor(api);
    const approval = approvalFor({ name: "prod", protected: true }, engine.out, { interactive: false });
    const err = await runDeploy(engine, prepared(), { approval }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).message).toContain("delete stack p-app");
    expect(api.calls).not.toContain("deleteStack");
    expect(live(api).map((s) => s.status)).toEqual(["ROLLBACK_COMPLETE"]);
  });
});
