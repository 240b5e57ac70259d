import type { Change } from "@aws-sdk/client-cloudformation";
import { ConfigError } from "@prebake/core";
import { parseTemplate } from "@prebake/stack";
import { describe, expect, it } from "vitest";
import { countCalls, isReadOnlyCall } from "../src/api-calls.ts";
import {
  canSkip,
  type DeployedState,
  type DesiredState,
  describeReason,
  sameTemplate,
  stateDifferences,
} from "../src/can-skip.ts";
import { requiredCapabilities } from "../src/capabilities.ts";
import { changeRows, formatChangeRows } from "../src/diff.ts";
import { findRootCause, formatEvent, newEvents } from "../src/events.ts";
import { orderStacks } from "../src/order.ts";
import { parseParameterOptions, resolveParameters } from "../src/parameters.ts";
import { pollDelay } from "../src/poll.ts";
import { classifyStackStatus } from "../src/status.ts";

const compareStacks = (desired: DesiredState, deployed: DeployedState) =>
  stateDifferences(desired, deployed).map(describeReason);

describe("template comparison", () => {
  it("short and long intrinsic forms, key order and formatting do not count; values do", () => {
    const a = "Resources:\n  B:\n    Type: X\n    Properties: { N: !Ref P, A: !GetAtt R.Arn }\n";
    const b = `{"Resources": {"B": {"Properties": {"A": {"Fn::GetAtt": ["R", "Arn"]}, "N": {"Ref": "P"}}, "Type": "X"}}}`;
    expect(sameTemplate(a, b)).toBe(true);
    expect(sameTemplate(a, a.replace("!Ref P", "!Sub P"))).toBe(false);
  });

  const desired = {
    templateBody: "Resources: {}\n",
    parameters: [{ key: "V", value: "1", noEcho: false }],
    tags: { Team: "a" },
    capabilities: ["CAPABILITY_IAM"],
  };
  const deployed = {
    templateBody: "Resources: {}",
    parameters: [{ ParameterKey: "V", ParameterValue: "1" }],
    tags: [{ Key: "Team", Value: "a" }],
    capabilities: undefined,
  };

  it("equal state has no differences (capabilities not reported by the service are not a difference)", () => {
    expect(compareStacks(desired, deployed)).toEqual([]);
    expect(
      compareStacks(desired, { ...deployed, capabilities: ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"] }),
    ).toEqual([]);
  });

  it("names each difference", () => {
    expect(
      compareStacks(
        { ...desired, parameters: [{ key: "V", value: "2", noEcho: false }], tags: { Team: "b", New: "x" } },
        {
          ...deployed,
          templateBody: "Resources: {A: {Type: X}}",
          tags: [...deployed.tags, { Key: "Old", Value: "y" }],
          capabilities: ["CAPABILITY_AUTO_EXPAND"],
        },
      ),
    ).toEqual([
      "template body differs",
      "parameter V: '1' -> '2'",
      "tag Team: 'a' -> 'b'",
      "tag New is new",
      "tag Old is removed",
      "capabilities to acknowledge: CAPABILITY_IAM",
    ]);
  });

  it("canSkip: skips only a deployed, equal stack; otherwise the reasons come back as data", () => {
    expect(canSkip(desired, deployed)).toEqual({ skip: true, reasons: [] });
    expect(canSkip(desired, undefined)).toEqual({ skip: false, reasons: [{ kind: "no-stack" }] });
    expect(canSkip(desired, deployed, { force: true })).toEqual({
      skip: false,
      reasons: [{ kind: "forced" }],
    });
    expect(canSkip({ ...desired, tags: { Team: "b" } }, deployed)).toEqual({
      skip: false,
      reasons: [{ kind: "tag", key: "Team", change: "value", before: "a", after: "b" }],
    });
  });

  it("a NoEcho parameter reported as **** cannot be compared, so it counts as changed", () => {
    const secret = { ...desired, parameters: [{ key: "V", value: "s3cret", noEcho: true }] };
    expect(
      compareStacks(secret, { ...deployed, parameters: [{ ParameterKey: "V", ParameterValue: "****" }] }),
    ).toEqual(["parameter V is NoEcho and cannot be compared"]);
  });
});

describe("deploy skip: what forces a change set", () => {
  const body = "Parameters:\n  V: { Type: String }\nResources: {}\n";
  const desired: DesiredState = {
    templateBody: body,
    parameters: [{ key: "V", value: "1", noEcho: false }],
    tags: {},
    capabilities: [],
  };
  const deployed: DeployedState = {
    templateBody: body,
    parameters: [{ ParameterKey: "V", ParameterValue: "1" }],
    tags: [],
    capabilities: undefined,
  };
  const reasonsOf = (d: DesiredState, s: DeployedState = deployed) => {
    const decision = canSkip(d, s);
    expect(decision.skip).toBe(decision.reasons.length === 0);
    return decision.reasons.map(describeReason);
  };

  it("the equal stack is skipped (the baseline every case below changes one thing of)", () => {
    expect(canSkip(desired, deployed)).toEqual({ skip: true, reasons: [] });
  });

  it.each([
    [
      "a changed parameter",
      [{ key: "V", value: "2", noEcho: false }],
      deployed.parameters,
      "parameter V: '1' -> '2'",
    ],
    [
      "a new parameter",
      [...desired.parameters, { key: "W", value: "x", noEcho: false }],
      deployed.parameters,
      "parameter W is new",
    ],
    [
      "a removed parameter",
      desired.parameters,
      [...deployed.parameters, { ParameterKey: "Gone", ParameterValue: "y" }],
      "parameter Gone is removed",
    ],
  ])("%s forces a deploy", (_what, parameters, deployedParameters, reason) => {
    expect(reasonsOf({ ...desired, parameters }, { ...deployed, parameters: deployedParameters })).toEqual([
      reason,
    ]);
  });

  it.each([
    ["''", "['']"],
    ["a,b", "['a', 'b']"],
    ["a, b", "a,b"],
    ["arn:aws:iam::1:role/x", "['arn:aws:iam::1:role/x']"],
  ])(
    "a list parameter %s is equal to the deployed %s (moto answers Python's form of the list)",
    (value, answer) => {
      const list = "Parameters:\n  L: { Type: CommaDelimitedList, Default: '' }\nResources: {}\n";
      const ofList = (v: string) => [{ key: "L", value: v === "''" ? "" : v, noEcho: false }];
      expect(
        reasonsOf(
          { ...desired, templateBody: list, parameters: ofList(value) },
          { ...deployed, templateBody: list, parameters: [{ ParameterKey: "L", ParameterValue: answer }] },
        ),
      ).toEqual([]);
    },
  );

  it("a list parameter with other items, and a plain parameter in Python's form, still differ", () => {
    const list = "Parameters:\n  L: { Type: CommaDelimitedList }\n  V: { Type: String }\nResources: {}\n";
    expect(
      reasonsOf(
        {
          ...desired,
          templateBody: list,
          parameters: [
            { key: "L", value: "a,c", noEcho: false },
            { key: "V", value: "x", noEcho: false },
          ],
        },
        {
          ...deployed,
          templateBody: list,
          parameters: [
            { ParameterKey: "L", ParameterValue: "['a', 'b']" },
            { ParameterKey: "V", ParameterValue: "['x']" },
          ],
        },
      ),
    ).toEqual(["parameter L: '['a', 'b']' -> 'a,c'", "parameter V: '['x']' -> 'x'"]);
  });

  it.each([
    ["AWS::SSM::Parameter::Value<String>", "parameter Ami (AWS::SSM::Parameter::Value<String>)"],
    [
      "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
      "parameter Ami (AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>)",
    ],
  ])("a %s parameter is never skipped: its resolved value cannot be compared", (type, what) => {
    const ssm = `Parameters:\n  Ami: { Type: '${type}', Default: /images/latest }\nResources: {}\n`;
    const same = { ...desired, templateBody: ssm, parameters: [] };
    expect(reasonsOf(same, { ...deployed, templateBody: ssm, parameters: [] })).toEqual([
      `${what} is resolved by CloudFormation at deploy time and cannot be compared`,
    ]);
    // A deploy hands over the template it parsed: that one is read, the text is not parsed again.
    const parsedOnly = { ...same, template: parseTemplate(ssm, "t"), templateBody: "{ not: [yaml" };
    expect(
      reasonsOf(parsedOnly, { ...deployed, templateBody: parsedOnly.templateBody, parameters: [] }),
    ).toEqual([`${what} is resolved by CloudFormation at deploy time and cannot be compared`]);
  });

  it.each([
    [
      "a resource property",
      "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: { Type: String, Value: '{{resolve:ssm:/team/v}}' }\n",
      "ssm",
    ],
    [
      "an Fn::Sub string",
      "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: { Type: String, Value: !Sub 'x-{{resolve:secretsmanager:db:SecretString:pw}}' }\n",
      "secretsmanager",
    ],
    ["Outputs", "Resources: {}\nOutputs:\n  O: { Value: '{{resolve:ssm-secure:/k}}' }\n", "ssm-secure"],
  ])("a {{resolve:...}} dynamic reference in %s is never skipped", (_where, template, service) => {
    const same = { ...desired, templateBody: template, parameters: [] };
    expect(reasonsOf(same, { ...deployed, templateBody: template, parameters: [] })).toEqual([
      `dynamic reference {{resolve:${service}:...}} is resolved by CloudFormation at deploy time and cannot be compared`,
    ]);
  });
});

describe("parameters", () => {
  const template = parseTemplate(
    `Parameters:
  ErlangVersion: { Type: String, AllowedPattern: "\\\\d+\\\\.\\\\d+(\\\\.\\\\d+)?", ConstraintDescription: "like 27.1" }
  Size: { Type: String, Default: SMALL, AllowedValues: [SMALL, LARGE] }
  Image: { Type: String }
  Count: { Type: Number, Default: 2, MinValue: 1, MaxValue: 5 }
Resources: { P: { Type: AWS::SSM::Parameter } }
`,
    "stacks/ci/stack.yaml",
  );
  const cli = (values: Record<string, string>) => ({ label: (k: string) => `--parameter ${k}`, values });
  const manifest = (values: Record<string, string>) => ({ label: () => "dist/images/x-1.json: uri", values });
  const config = (values: Record<string, string>) => ({
    label: (k: string) => `prebake.config.yaml: stacks.ci.parameters.${k}`,
    values,
  });
  const fix = (k: string) => `set ${k}`;

  it("precedence: CLI > manifest > config > default", () => {
    const resolved = resolveParameters(
      template,
      "stacks/ci/stack.yaml",
      [
        cli({ Size: "LARGE" }),
        manifest({ Image: "repo@sha256:1" }),
        config({ Image: "cfg", ErlangVersion: "27.1" }),
      ],
      fix,
    );
    expect(Object.fromEntries(resolved.map((p) => [p.key, [p.value, p.from]]))).toEqual({
      ErlangVersion: ["27.1", "prebake.config.yaml: stacks.ci.parameters.ErlangVersion"],
      Size: ["LARGE", "--parameter Size"],
      Image: ["repo@sha256:1", "dist/images/x-1.json: uri"],
      Count: ["2", "default"],
    });
  });

  it("a value breaking AllowedPattern is a ConfigError naming its source", () => {
    const err = (() => {
      try {
        resolveParameters(template, "t", [config({ ErlangVersion: "27.x", Image: "i" })], fix);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.toLine()).toContain(
      "prebake.config.yaml: stacks.ci.parameters.ErlangVersion: parameter ErlangVersion: '27.x' does not match the pattern",
    );
    expect(err?.toLine()).toContain("(fix: like 27.1)");
  });

  it("missing value, unknown key", () => {
    expect(() => resolveParameters(template, "t", [config({ ErlangVersion: "27.1" })], fix)).toThrow(
      "parameter 'Image' has no value and no default",
    );
    expect(() => resolveParameters(template, "t", [cli({ Nope: "1" })], fix)).toThrow(
      "unknown parameter 'Nope'",
    );
  });

  it("--parameter Key=Value, the value may hold '='", () => {
    expect(parseParameterOptions(["A=1", "B=x=y"])).toEqual({ A: "1", B: "x=y" });
    expect(() => parseParameterOptions(["A"])).toThrow(ConfigError);
  });
});

describe("capabilities", () => {
  it("IAM resources need CAPABILITY_IAM; named ones CAPABILITY_NAMED_IAM; none for others", () => {
    const t = (props: string) =>
      parseTemplate(`Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {${props}}\n`, "t");
    expect(requiredCapabilities(t(""))).toEqual(["CAPABILITY_IAM"]);
    expect(requiredCapabilities(t("RoleName: x"))).toEqual(["CAPABILITY_NAMED_IAM"]);
    expect(requiredCapabilities(parseTemplate("Resources: {B: {Type: AWS::S3::Bucket}}", "t"))).toEqual([]);
  });
});

describe("polling", () => {
  it("starts at 250 ms, doubles, stops at 5 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => pollDelay(n))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });
});

describe("events", () => {
  const ev = (id: string, logical: string, status: string, reason?: string) => ({
    EventId: id,
    Timestamp: new Date("2026-01-02T03:04:05Z"),
    LogicalResourceId: logical,
    ResourceType: "AWS::Logs::LogGroup",
    ResourceStatus: status,
    ResourceStatusReason: reason,
  });

  it("one plain line: time, logical id, type, status, reason", () => {
    expect(formatEvent(ev("1", "Logs", "CREATE_FAILED", "already\nexists"))).toBe(
      "03:04:05  Logs  AWS::Logs::LogGroup  CREATE_FAILED  already exists",
    );
  });

  it("new events oldest first, stopping at the first seen one", () => {
    const page = [ev("3", "c", "x"), ev("2", "b", "x"), ev("1", "a", "x")];
    expect(newEvents(page, new Set(["1"])).map((e) => e.EventId)).toEqual(["2", "3"]);
    expect(newEvents(page, new Set(["3"]))).toEqual([]);
  });

  it("root cause: the first failure, not the resources cancelled because of it", () => {
    const events = [
      ev("1", "A", "CREATE_IN_PROGRESS"),
      ev("2", "B", "CREATE_FAILED", "Resource creation cancelled"),
      ev("3", "C", "CREATE_FAILED", "bucket name taken"),
      ev("4", "D", "CREATE_FAILED", "later failure"),
    ];
    expect(findRootCause(events)?.LogicalResourceId).toBe("C");
    expect(findRootCause([ev("1", "S", "ROLLBACK_IN_PROGRESS", "template error")])?.LogicalResourceId).toBe(
      "S",
    );
    expect(findRootCause([ev("1", "S", "CREATE_COMPLETE")])).toBeUndefined();
  });
});

describe("stack status", () => {
  it("stuck states get an instruction, never a retry", () => {
    const d = classifyStackStatus("UPDATE_ROLLBACK_FAILED", "prebake-ci");
    expect(d.kind).toBe("stuck");
    expect(d.kind === "stuck" && d.instruction).toContain(
      "aws cloudformation continue-update-rollback --stack-name prebake-ci",
    );
    expect(classifyStackStatus("UPDATE_IN_PROGRESS", "s").kind).toBe("stuck");
    expect(classifyStackStatus("DELETE_FAILED", "s").kind).toBe("stuck");
    expect(classifyStackStatus("ROLLBACK_COMPLETE", "s").kind).toBe("recreate");
    expect(classifyStackStatus("REVIEW_IN_PROGRESS", "s").kind).toBe("recreate");
    expect(classifyStackStatus("UPDATE_ROLLBACK_COMPLETE", "s").kind).toBe("updatable");
    expect(classifyStackStatus(undefined, "s").kind).toBe("absent");
  });
});

describe("diff", () => {
  const before = parseTemplate(
    "Resources: {L: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 7}}}",
    "a",
  );
  const after = parseTemplate(
    "Resources: {L: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 14}}}",
    "b",
  );

  it("uses the change set's details when given, else the template difference", () => {
    const withDetails: Change[] = [
      {
        Type: "Resource",
        ResourceChange: {
          Action: "Modify",
          LogicalResourceId: "L",
          ResourceType: "AWS::Logs::LogGroup",
          Replacement: "False",
          Details: [
            { Target: { Attribute: "Properties", Name: "RetentionInDays", RequiresRecreation: "Never" } },
          ],
        },
      },
    ];
    const rows = changeRows(withDetails, before, after);
    expect(rows[0]).toMatchObject({ detailFrom: "change set", replacement: "False" });
    expect(formatChangeRows(rows)).toEqual([
      "~ Modify  L  AWS::Logs::LogGroup  replacement: False",
      "      RetentionInDays",
    ]);

    const bare: Change[] = [
      { ResourceChange: { Action: "Modify", LogicalResourceId: "L", ResourceType: "AWS::Logs::LogGroup" } },
    ];
    const fromTemplate = changeRows(bare, before, after);
    expect(fromTemplate[0]?.detailFrom).toBe("template");
    expect(formatChangeRows(fromTemplate)[1]).toBe("      RetentionInDays: 7 -> 14");
  });
});

describe("lint output, order, call counts", () => {
  it("orders stacks after the ones they name, and refuses a cycle", () => {
    const after: Record<string, string[]> = { ci: ["image-rebuild"], "image-rebuild": [] };
    expect(orderStacks(["ci", "image-rebuild"], (n) => after[n] ?? [])).toEqual(["image-rebuild", "ci"]);
    expect(() => orderStacks(["a", "b"], (n) => (n === "a" ? ["b"] : ["a"]))).toThrow(/cycle/);
  });

  it("does not read a lone stack's template for an order (its deploy reads it)", () => {
    const asked: string[] = [];
    expect(orderStacks(["ci", "ci"], (n) => (asked.push(n), []))).toEqual(["ci"]);
    expect(asked).toEqual([]);
  });

  it("counts calls and knows read-only ones", () => {
    expect(
      countCalls([
        { service: "CloudFormation", command: "DescribeStacksCommand" },
        { service: "CloudFormation", command: "GetTemplateCommand" },
        { service: "CloudFormation", command: "DescribeStacksCommand" },
      ]),
    ).toEqual({ total: 3, byCommand: { DescribeStacks: 2, GetTemplate: 1 } });
    expect(isReadOnlyCall("GetTemplateCommand")).toBe(true);
    expect(isReadOnlyCall("CreateChangeSetCommand")).toBe(false);
  });
});
