import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  defineTemplate,
  emitYaml,
  type INTRINSIC_TAGS,
  parseYaml,
  resource,
  type Template,
} from "../src/index.ts";
import * as I from "../src/intrinsics.ts";

const root = join(import.meta.dirname, "../../..");

/** One template per intrinsic, so a failure names the function. */
const cases: Record<
  Exclude<keyof typeof INTRINSIC_TAGS, "Transform" | "ToJsonString" | "Length">,
  [unknown, string]
> = {
  Ref: [I.Ref("Bucket"), "!Ref Bucket"],
  GetAtt: [I.GetAtt("Bucket", "Arn"), "!GetAtt Bucket.Arn"],
  Sub: [I.Sub("${Bucket}-x", { Y: I.Ref("Bucket") }), "!Sub\n"],
  Join: [I.Join(",", ["a", I.Ref("Bucket")]), "!Join\n"],
  If: [I.If("IsProd", "a", I.Ref("AWS::NoValue")), "!If\n"],
  Equals: [I.Equals(I.Ref("AWS::Region"), "us-east-1"), "!Equals\n"],
  Select: [I.Select(0, I.Split("/", I.Ref("AWS::StackId"))), "!Select\n"],
  Split: [I.Split(",", "a,b"), "!Split\n"],
  FindInMap: [I.FindInMap("Regions", I.Ref("AWS::Region"), "Ami"), "!FindInMap\n"],
  ImportValue: [I.ImportValue("shared-vpc"), "!ImportValue shared-vpc"],
  GetAZs: [I.GetAZs(""), '!GetAZs ""'],
  Base64: [I.Base64("#!/bin/sh"), '!Base64 "#!/bin/sh"'],
  Cidr: [I.Cidr("10.0.0.0/16", 4, 8), "!Cidr\n"],
  Not: [I.Not(I.Condition("IsProd")), "!Not\n"],
  And: [I.And(I.Condition("IsProd"), I.Equals("a", "a")), "!And\n"],
  Or: [I.Or(I.Condition("IsProd"), I.Equals("a", "b")), "!Or\n"],
  Condition: [I.Condition("IsProd"), "!Condition IsProd"],
};

const wrap = (value: unknown): Template =>
  defineTemplate({
    Resources: { Bucket: resource("AWS::SSM::Parameter", { Type: "String", Value: value as string }) },
  });

describe("CloudFormation short tags", () => {
  for (const [name, [value, expected]] of Object.entries(cases)) {
    it(`!${name}: model -> YAML -> model, and YAML bytes survive parse + emit`, () => {
      const template = wrap(value);
      const text = emitYaml(template);
      expect(text).toContain(`Value: ${expected}`);
      expect(parseYaml(text)).toEqual(template);
      expect(emitYaml(parseYaml(text))).toBe(text);
    });
  }

  it("writes a function whose argument is a short-form function in long form (one tag per node)", () => {
    const text = emitYaml(wrap(I.ImportValue(I.Sub("${AWS::StackName}-vpc"))));
    expect(text).toContain("Value:\n        Fn::ImportValue: !Sub ${AWS::StackName}-vpc");
    expect(parseYaml(text)).toEqual(wrap(I.ImportValue(I.Sub("${AWS::StackName}-vpc"))));
  });

  it("reads the long form and the sequence form of !GetAtt as the same model", () => {
    const long = parseYaml(
      "Resources:\n  A:\n    Type: X::Y::Z\n    Properties:\n      V: { 'Fn::GetAtt': [B, Arn] }\n",
    );
    const seq = parseYaml(
      "Resources:\n  A:\n    Type: X::Y::Z\n    Properties:\n      V: !GetAtt [B, Arn]\n",
    );
    expect(long).toEqual(seq);
  });

  it("orders sections as CloudFormation documents them, whatever order stack.ts used", () => {
    const text = emitYaml({
      Outputs: { O: { Value: "x" } },
      Resources: { A: { Properties: {}, Type: "X::Y::Z" } },
      Description: "d",
    });
    expect(text.indexOf("Description")).toBeLessThan(text.indexOf("Resources"));
    expect(text.indexOf("Resources")).toBeLessThan(text.indexOf("Outputs"));
    expect(text.indexOf("Type: X::Y::Z")).toBeLessThan(text.indexOf("Properties"));
  });

  it("keeps version-like and date-like strings strings for every YAML reader", () => {
    const text = emitYaml({
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: { A: { Type: "X::Y::Z", Properties: { V: "27.1" } } },
    });
    expect(text).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(text).toContain('V: "27.1"');
  });

  it("both committed templates give back the same bytes after parse + emit", () => {
    for (const stack of ["ci", "image-rebuild"]) {
      const text = readFileSync(join(root, "stacks", stack, "stack.yaml"), "utf8");
      const [header, ...body] = text.split("\n");
      expect(header).toMatch(/^# Generated from stack\.ts/);
      expect(emitYaml(parseYaml(text))).toBe(body.join("\n"));
    }
  });

  it("reports a YAML syntax error with its line", () => {
    expect(() => parseYaml("Resources:\n  A: [\n")).toThrow(
      expect.objectContaining({ line: expect.any(Number) }),
    );
  });

  it("gives each caller its own copy of a text parsed before (a caller's edit reaches no other)", () => {
    const text =
      "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties: { TopicName: !Ref Name }\n";
    const first = parseYaml(text);
    (first.Resources as Record<string, { Type: string }>).Topic!.Type = "edited";
    const second = parseYaml(text);
    expect(second).not.toBe(first);
    expect((second.Resources as Record<string, { Type: string }>).Topic!.Type).toBe("AWS::SNS::Topic");
    expect(second).toEqual(parseYaml(`${text}\n`));
  });
});

describe("strings YAML 1.1 readers would misread", () => {
  it("are quoted, and read back as the same strings", () => {
    const tricky = ["on", "Off", "yes", "N", "1:20", "1_000", "0755", "<<", "=", "2010-09-09", "27.1", "1e3"];
    const text = emitYaml(wrap(tricky));
    for (const s of tricky) expect(text).toContain(`- "${s}"`);
    expect(parseYaml(text)).toEqual(wrap(tricky));
    expect(emitYaml(parseYaml(text))).toBe(text);
    // and nothing else is quoted for it
    expect(emitYaml(wrap(["online", "yesterday", "arn:aws:s3:::b/*"]))).toContain("- online\n");
  });
});
