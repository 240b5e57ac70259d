/** The pipeline a template defines, as a run sees it: the real ci stack, and the one-line errors. */
import { join } from "node:path";
import type { ConfigError } from "@prebake/core";
import { parseYaml, readStackTemplate } from "@prebake/stack";
import { describe, expect, it } from "vitest";
import { readPipeline, runOrderGroups } from "../src/index.ts";
import { actionVariables, primaryAndSecondary } from "../src/model.ts";

const repo = join(import.meta.dirname, "../../..");
const opts = { stack: "t", logicalId: "P", project: "prebake", where: "stacks/t/stack.yaml" };

/** A template with one pipeline whose Build stage has the given actions (YAML list items). */
function withBuildActions(actions: string) {
  return parseYaml(`Resources:
  Proj: { Type: AWS::CodeBuild::Project, Properties: { Name: !Sub "\${AWS::StackName}-proj" } }
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: !Sub \${AWS::StackName}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: { Category: Source, Owner: AWS, Provider: S3, Version: "1" }
              OutputArtifacts: [{ Name: Source }]
        - Name: Build
          Actions:
${actions}`);
}

const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as ConfigError).toLine();
  }
  throw new Error("no error");
};

describe("readPipeline", () => {
  it("reads the committed ci pipeline: stages, the projects its actions start, one runOrder group", () => {
    const { template, where } = readStackTemplate(repo, "ci");
    const model = readPipeline(template, { stack: "ci", logicalId: "Pipeline", project: "prebake", where });
    expect(model.name).toBe("prebake-ci");
    expect(
      model.stages.map((s) => [s.name, s.actions.map((a) => [a.name, a.provider, a.projectId ?? "-"])]),
    ).toEqual([
      ["Source", [["SourceArchive", "S3", "-"]]],
      [
        "Build",
        [
          ["hello-erlang", "CodeBuild", "HelloErlangAppProject"],
          ["common-utils", "CodeBuild", "LayerBuildProject"],
        ],
      ],
    ]);
    expect(runOrderGroups(model.stages[1]!).map((g) => g.map((a) => a.name))).toEqual([
      ["hello-erlang", "common-utils"],
    ]);
  });

  it("groups by runOrder, lowest first; a !Ref or the physical name finds the project", () => {
    const model = readPipeline(
      withBuildActions(`            - { Name: B, RunOrder: 2, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, Configuration: { ProjectName: !Ref Proj }, InputArtifacts: [{ Name: Source }] }
            - { Name: A, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, Configuration: { ProjectName: prebake-t-proj }, InputArtifacts: [{ Name: Source }] }`),
      opts,
    );
    expect(runOrderGroups(model.stages[1]!).map((g) => g.map((a) => `${a.name}:${a.projectId}`))).toEqual([
      ["A:Proj"],
      ["B:Proj"],
    ]);
  });

  it("refuses an input that no earlier action writes (a same-runOrder output is not earlier)", () => {
    const template =
      withBuildActions(`            - { Name: A, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, InputArtifacts: [{ Name: Source }], OutputArtifacts: [{ Name: Out }] }
            - { Name: B, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, InputArtifacts: [{ Name: Out }] }`);
    expect(error(() => readPipeline(template, opts))).toBe(
      "stacks/t/stack.yaml: Resources.P.Properties.Stages[1].Actions[1].InputArtifacts[0]: input artifact 'Out' is not the output of an earlier action (fix: name an output artifact of an earlier stage, or of a lower RunOrder in this stage)",
    );
  });

  it("refuses a RunOrder out of CodePipeline's range and a duplicate output", () => {
    expect(
      error(() =>
        readPipeline(
          withBuildActions("            - { Name: A, RunOrder: 0, ActionTypeId: { Category: Build } }"),
          opts,
        ),
      ),
    ).toContain("Actions[0].RunOrder: RunOrder 0 is not a whole number from 1 to 999");
    expect(
      error(() =>
        readPipeline(
          withBuildActions(
            "            - { Name: A, ActionTypeId: { Category: Build }, OutputArtifacts: [{ Name: Source }] }",
          ),
          opts,
        ),
      ),
    ).toContain("output artifact 'Source' is also written by Source/Src");
  });

  it("several inputs need PrimarySource; the others are secondary sources", () => {
    const model = readPipeline(
      withBuildActions(`            - { Name: A, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, InputArtifacts: [{ Name: Source }], OutputArtifacts: [{ Name: Out }] }
            - { Name: B, RunOrder: 2, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, InputArtifacts: [{ Name: Source }, { Name: Out }] }
            - { Name: C, RunOrder: 2, ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }, Configuration: { PrimarySource: Out }, InputArtifacts: [{ Name: Source }, { Name: Out }] }`),
      opts,
    );
    const [, b, c] = model.stages[1]!.actions;
    expect(error(() => primaryAndSecondary(b!))).toContain(
      "Configuration.PrimarySource: a CodeBuild action with several inputs must name its PrimarySource (fix: set PrimarySource to one of: Source, Out)",
    );
    expect(primaryAndSecondary(c!)).toEqual({ primary: "Out", secondary: ["Source"] });
  });

  it("action variables: PLAINTEXT values; parameter-store values and #{...} references are refused locally", () => {
    const model = readPipeline(
      withBuildActions(`            - Name: A
              ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }
              Configuration:
                EnvironmentVariables: '[{"name":"STAGE","value":"dev","type":"PLAINTEXT"}]'
            - Name: B
              ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild }
              Configuration:
                EnvironmentVariables: '[{"name":"TOKEN","value":"/ci/token","type":"PARAMETER_STORE"}]'`),
      opts,
    );
    const [a, b] = model.stages[1]!.actions;
    expect(actionVariables(a!)).toEqual({ STAGE: "dev" });
    expect(error(() => actionVariables(b!))).toContain(
      "variable TOKEN: PARAMETER_STORE values and #{...} references are not resolved locally",
    );
  });
});
