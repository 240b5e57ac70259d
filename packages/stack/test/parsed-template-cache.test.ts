import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statePaths } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { readStackTemplate } from "../src/read.ts";

function repoWith(body: string): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-read-"));
  writeFileSync(join(root, "prebake.config.yaml"), "project: read\n");
  mkdirSync(join(root, "stacks", "demo"), { recursive: true });
  writeFileSync(join(root, "stacks", "demo", "stack.yaml"), body);
  return root;
}

const TEMPLATE =
  "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref Name\n";

/** Rewrite what the cache keeps, to see whether the next read comes from it. */
function tamper(root: string): void {
  const file = statePaths.parsedTemplate(root, "demo");
  const kept = JSON.parse(readFileSync(file, "utf8"));
  kept.template.Resources.Topic.Type = "AWS::SQS::Queue";
  writeFileSync(file, JSON.stringify(kept));
}

describe("readStackTemplate's parsed-template cache", () => {
  it("reads an unchanged template from the JSON kept by the last parse", () => {
    const root = repoWith(TEMPLATE);
    const first = readStackTemplate(root, "demo");
    expect(first.template.Resources.Topic?.Properties).toEqual({ TopicName: { Ref: "Name" } });
    tamper(root);
    expect(readStackTemplate(root, "demo").template.Resources.Topic?.Type).toBe("AWS::SQS::Queue");
  });

  it("parses a changed template again", () => {
    const root = repoWith(TEMPLATE);
    readStackTemplate(root, "demo");
    tamper(root);
    writeFileSync(join(root, "stacks", "demo", "stack.yaml"), TEMPLATE.replace("Topic:", "Alerts:"));
    const again = readStackTemplate(root, "demo");
    expect(Object.keys(again.template.Resources)).toEqual(["Alerts"]);
    expect(again.template.Resources.Alerts?.Type).toBe("AWS::SNS::Topic");
  });

  it("keeps nothing JSON cannot hold exactly (YAML's .inf)", () => {
    const root = repoWith(`${TEMPLATE}Outputs:\n  Big:\n    Value: .inf\n`);
    expect(readStackTemplate(root, "demo").template.Outputs?.Big?.Value).toBe(Number.POSITIVE_INFINITY);
    expect(() => readFileSync(statePaths.parsedTemplate(root, "demo"))).toThrow();
    expect(readStackTemplate(root, "demo").template.Outputs?.Big?.Value).toBe(Number.POSITIVE_INFINITY);
  });

  it("gives each caller its own object", () => {
    const root = repoWith(TEMPLATE);
    const a = readStackTemplate(root, "demo").template;
    a.Resources.Topic!.Type = "changed";
    expect(readStackTemplate(root, "demo").template.Resources.Topic?.Type).toBe("AWS::SNS::Topic");
  });
});
