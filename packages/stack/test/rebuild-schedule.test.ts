/**
 * The image-rebuild stack's schedule: weekly by default, any EventBridge schedule expression, and
 * no rule (nor its role) when the parameter is empty. The condition is evaluated here the way
 * CloudFormation evaluates it, for each value.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  asIntrinsic,
  loadStackSource,
  type Parameter,
  parameterProblem,
  type Template,
} from "../src/index.ts";

const root = join(import.meta.dirname, "../../..");

/** Fn::Not, Fn::Equals, Fn::Select, Fn::Split, Fn::Join and Ref over parameter values: what the conditions use. */
function evaluate(node: unknown, values: Record<string, string>): unknown {
  const fn = asIntrinsic(node);
  if (!fn) return node;
  const args = fn.arg as unknown[];
  if (fn.name === "Ref") return values[fn.arg as string];
  if (fn.name === "Not") return !evaluate(args[0], values);
  if (fn.name === "Equals") return evaluate(args[0], values) === evaluate(args[1], values);
  if (fn.name === "Split") return String(evaluate(args[1], values)).split(args[0] as string);
  if (fn.name === "Join") return ([] as unknown[]).concat(evaluate(args[1], values)).join(args[0] as string);
  if (fn.name === "Select") return (evaluate(args[1], values) as unknown[])[Number(args[0])];
  throw new Error(`not evaluated here: ${fn.name}`);
}

/** The resources CloudFormation creates for a RebuildSchedule value. */
function createdFor(template: Template, schedule: string): string[] {
  const conditions = Object.fromEntries(
    Object.entries(template.Conditions ?? {}).map(([k, v]) => [
      k,
      evaluate(v, { RebuildSchedule: schedule, RebuildImage: "aws/codebuild/standard:7.0" }),
    ]),
  );
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Condition === undefined || conditions[r.Condition] === true)
    .map(([id]) => id);
}

describe("image-rebuild schedule", () => {
  it("is weekly by default and takes rate()/cron() expressions or nothing; anything else is refused", async () => {
    const t = await loadStackSource(root, "image-rebuild");
    const p = t.Parameters!.RebuildSchedule as Parameter;
    expect(p.Default).toBe("cron(0 4 ? * MON *)");
    for (const ok of ["", "rate(7 days)", "cron(0 4 ? * MON *)", "rate(1 day)"])
      expect(parameterProblem(p, ok)).toBeUndefined();
    expect(parameterProblem(p, "weekly")).toEqual({
      message: "'weekly' does not match the pattern ^$|^(rate|cron)\\(.+\\)$",
      fix: "an EventBridge schedule expression such as rate(7 days) or cron(0 4 ? * MON *), or empty for no schedule",
    });
  });

  it("the default creates the rule, aimed at the rebuild project with a role that may only start it", async () => {
    const t = await loadStackSource(root, "image-rebuild");
    expect(createdFor(t, "cron(0 4 ? * MON *)")).toEqual(
      expect.arrayContaining(["RebuildScheduleRule", "RebuildScheduleRole"]),
    );
    const rule = t.Resources.RebuildScheduleRule!.Properties!;
    expect(rule.ScheduleExpression).toEqual({ Ref: "RebuildSchedule" });
    expect(rule.State).toBe("ENABLED");
    const projectArn =
      "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/${AWS::StackName}";
    const [target] = rule.Targets as { Arn: unknown; RoleArn: unknown }[];
    expect(asIntrinsic(target!.Arn)?.arg).toBe(projectArn);
    expect(target!.RoleArn).toEqual({ "Fn::GetAtt": ["RebuildScheduleRole", "Arn"] });
    // The project's Name is the stack name: the ARN above is the project's.
    expect(t.Resources.RebuildProject!.Properties!.Name).toEqual({ "Fn::Sub": "${AWS::StackName}" });
    const role = t.Resources.RebuildScheduleRole!.Properties as {
      AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] };
      Policies: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } }[];
    };
    expect(role.AssumeRolePolicyDocument.Statement[0]!.Principal).toEqual({
      Service: "events.amazonaws.com",
    });
    const statements = role.Policies.flatMap((x) => x.PolicyDocument.Statement);
    expect(statements.map((s) => [s.Action, asIntrinsic(s.Resource)?.arg])).toEqual([
      ["codebuild:StartBuild", projectArn],
    ]);
  });

  it("an empty value turns the schedule off: neither the rule nor its role is created", async () => {
    const t = await loadStackSource(root, "image-rebuild");
    const created = createdFor(t, "");
    expect(created).not.toContain("RebuildScheduleRule");
    expect(created).not.toContain("RebuildScheduleRole");
    expect(created).toContain("RebuildProject");
  });
});
