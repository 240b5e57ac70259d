/**
 * The SDK side of StackApi reads every page. moto answers DescribeChangeSet and
 * DescribeStackEvents in one page whatever their size, so the pages come from the SDK client's
 * own middleware stack here: a real CloudFormationClient and the SDK's real paginators, with the
 * service's paged answers served in place of the HTTP call.
 */
import { type Change, CloudFormationClient, type StackEvent } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { cloudFormationApi } from "../src/cfn-api.ts";

type Pages = Record<string, Record<string, unknown>>;

/** A client whose answers to `command` come from `pages`, keyed by the request's NextToken ("" first). */
function pagedClient(command: string, pages: Pages) {
  const client = new CloudFormationClient({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const tokens: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      const token = (args.input as { NextToken?: string }).NextToken ?? "";
      tokens.push(token);
      const output = pages[token];
      if (!output) throw new Error(`no page for token '${token}'`);
      return { output: { $metadata: {}, ...output }, response: {} };
    },
    { step: "initialize", name: "pagedAnswers" },
  );
  return { client, tokens };
}

const change = (id: string): Change => ({
  Type: "Resource",
  ResourceChange: { Action: "Add", LogicalResourceId: id, ResourceType: "AWS::SSM::Parameter" },
});
const event = (n: number): StackEvent => ({
  EventId: `e${n}`,
  StackId: "s",
  StackName: "s",
  Timestamp: new Date(n * 1000),
});
const ref = { changeSetId: "arn:cs", stackId: "arn:stack" };

describe("StackApi over the SDK: every page", () => {
  it("a change set with three pages of changes: all of them, in order", async () => {
    const { client, tokens } = pagedClient("DescribeChangeSetCommand", {
      "": { Changes: [change("A"), change("B")], NextToken: "t1" },
      t1: { Changes: [change("C"), change("D")], NextToken: "t2" },
      t2: { Changes: [change("E")] },
    });
    const changes = await cloudFormationApi(client).changeSetChanges(ref);
    expect(changes.map((c) => c.ResourceChange?.LogicalResourceId)).toEqual(["A", "B", "C", "D", "E"]);
    expect(tokens).toEqual(["", "t1", "t2"]);
  });

  // Newest first, two per page, as DescribeStackEvents answers.
  const eventPages: Pages = {
    "": { StackEvents: [event(6), event(5)], NextToken: "p2" },
    p2: { StackEvents: [event(4), event(3)], NextToken: "p3" },
    p3: { StackEvents: [event(2), event(1)] },
  };

  it("stack events over several pages: the new ones oldest first, reading on until a seen event", async () => {
    const { client, tokens } = pagedClient("DescribeStackEventsCommand", eventPages);
    const fresh = await cloudFormationApi(client).newStackEvents("arn:stack", new Set(["e2", "e1"]));
    expect(fresh.map((e) => e.EventId)).toEqual(["e3", "e4", "e5", "e6"]);
    expect(tokens).toEqual(["", "p2", "p3"]);
  });

  it("stops at the page holding a seen event: older pages are not read", async () => {
    const { client, tokens } = pagedClient("DescribeStackEventsCommand", eventPages);
    const fresh = await cloudFormationApi(client).newStackEvents(
      "arn:stack",
      new Set(["e4", "e3", "e2", "e1"]),
    );
    expect(fresh.map((e) => e.EventId)).toEqual(["e5", "e6"]);
    expect(tokens).toEqual(["", "p2"]);
  });
});
