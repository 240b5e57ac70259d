/**
 * stacks/ci follows the folders: one CodeBuild project, log group, alarms and pipeline action per
 * app, and one pipeline action per layer on the one layer project. Rendered from a copy of this
 * repository's stacks, images and buildspecs with extra apps and layers.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ConfigError } from "@prebake/core";
import { loadStackSource, type Template } from "@prebake/stack";
import { afterEach, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../../..");
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workspace(files: Record<string, string>, copy = ["apps/hello-erlang", "layers/common-utils"]) {
  const root = mkdtempSync(join(tmpdir(), "prebake-ci-apps-"));
  roots.push(root);
  symlinkSync(join(repo, "node_modules"), join(root, "node_modules"));
  for (const path of ["stacks", "images", "buildspecs", ...copy]) {
    cpSync(join(repo, path), join(root, path), { recursive: true });
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

type Props = Record<string, unknown>;
const props = (t: Template, id: string) => t.Resources[id]?.Properties as Props;

function buildActions(t: Template) {
  const stages = props(t, "Pipeline").Stages as { Name: string; Actions: Props[] }[];
  return stages.find((s) => s.Name === "Build")!.Actions;
}

describe("stacks/ci: a project and an action per folder", () => {
  it("three apps and two layers: three app projects, one layer project, five build actions", async () => {
    const t = await loadStackSource(
      workspace({
        "apps/second-app/rebar.config": "",
        "apps/tool/app.yaml":
          "image: python-layer\ncomputeType: BUILD_GENERAL1_LARGE\nenvironment: { MODE: fast }\nartifact: ToolOut\n",
        "layers/other/layer.yaml": "name: other\nrequirements: requirements.txt\n",
      }),
      "ci",
    );
    const projects = Object.keys(t.Resources).filter(
      (id) => t.Resources[id]!.Type === "AWS::CodeBuild::Project",
    );
    expect(projects.sort()).toEqual([
      "HelloErlangAppProject",
      "LayerBuildProject",
      "SecondAppAppProject",
      "ToolAppProject",
    ]);
    for (const id of ["HelloErlangApp", "SecondAppApp", "ToolApp", "LayerBuild"]) {
      expect(t.Resources[`${id}LogGroup`]?.Type).toBe("AWS::Logs::LogGroup");
      for (const alarm of ["InstallDuration", "FailedBuilds", "ProvisioningDuration"]) {
        expect(t.Resources[`${id}${alarm}Alarm`]?.Type).toBe("AWS::CloudWatch::Alarm");
      }
    }
    expect(String((props(t, "BuildDashboard").DashboardBody as { "Fn::Sub": string })["Fn::Sub"])).toContain(
      '"title":"second-app: durations (s)"',
    );

    // The second app builds itself: its folder is what the shared buildspec cds into.
    const second = props(t, "SecondAppAppProject");
    expect(second.Name).toEqual({ "Fn::Sub": "${AWS::StackName}-second-app" });
    const variables = (p: Props) =>
      Object.fromEntries(
        ((p.Environment as Props).EnvironmentVariables as { Name: string; Value: unknown }[]).map((v) => [
          v.Name,
          v.Value,
        ]),
      );
    expect(variables(second)).toMatchObject({
      PREBAKE_APP_DIR: "apps/second-app",
      PREBAKE_ARTIFACT_NAME: "second-app-release",
    });
    expect((second.Environment as Props).Image).toEqual({ Ref: "CodeBuildImage" });

    // app.yaml's image, fixed compute and variables.
    const tool = props(t, "ToolAppProject");
    expect(tool.Environment).toMatchObject({
      Type: "LINUX_CONTAINER",
      ComputeType: "BUILD_GENERAL1_LARGE",
      Image: { Ref: "LayerBuildImage" },
    });
    expect(tool.TimeoutInMinutes).toBe(30);
    expect(variables(tool)).toMatchObject({ PREBAKE_APP_DIR: "apps/tool", MODE: "fast" });

    const actions = buildActions(t).map((a) => [
      a.Name,
      (a.Configuration as Props).ProjectName,
      (a.OutputArtifacts as { Name: string }[])[0]!.Name,
      (a.Configuration as Props).EnvironmentVariables,
    ]);
    const layerVariable = (name: string) =>
      JSON.stringify([{ name: "PREBAKE_LAYER", value: name, type: "PLAINTEXT" }]);
    expect(actions).toEqual([
      ["hello-erlang", { "Fn::Sub": "${AWS::StackName}-hello-erlang" }, "hello-erlang-release", undefined],
      ["second-app", { "Fn::Sub": "${AWS::StackName}-second-app" }, "second-app-release", undefined],
      ["tool", { "Fn::Sub": "${AWS::StackName}-tool" }, "ToolOut", undefined],
      [
        "common-utils",
        { "Fn::Sub": "${AWS::StackName}-python-layer" },
        "common-utils-layer",
        layerVariable("common-utils"),
      ],
      ["other", { "Fn::Sub": "${AWS::StackName}-python-layer" }, "other-layer", layerVariable("other")],
    ]);
    // The pipeline may start each project (once each), and waits for all of them.
    const run = (props(t, "PipelineRole").Policies as { PolicyDocument: { Statement: Props[] } }[])[0]!
      .PolicyDocument.Statement[0]!;
    expect(run.Resource).toHaveLength(4);
    expect(t.Resources.Pipeline!.DependsOn).toEqual([
      "HelloErlangAppProject",
      "SecondAppAppProject",
      "ToolAppProject",
      "LayerBuildProject",
    ]);
    expect(t.Outputs?.SecondAppAppProjectName).toBeDefined();
  });

  it("without apps on the ComputeType parameter, the parameter and its condition are left out", async () => {
    const t = await loadStackSource(
      workspace({ "apps/fixed/app.yaml": "computeType: BUILD_LAMBDA_1GB\n" }, []),
      "ci",
    );
    expect(t.Parameters?.ComputeType).toBeUndefined();
    expect(t.Conditions?.AppsOnLambda).toBeUndefined();
    // No layers: no layer project, no python-layer image parameter.
    expect(t.Resources.LayerBuildProject).toBeUndefined();
    expect(t.Parameters?.LayerBuildImage).toBeUndefined();
    expect(props(t, "FixedAppProject").Environment).toMatchObject({
      Type: "LINUX_LAMBDA_CONTAINER",
      ComputeType: "BUILD_LAMBDA_1GB",
    });
    expect(props(t, "FixedAppProject").TimeoutInMinutes).toBeUndefined();
  });

  it("nothing to build, or two artifacts of one name, is one line naming the fix", async () => {
    const lineOf = (root: string) =>
      loadStackSource(root, "ci").then(
        () => "",
        (err: ConfigError) => err.toLine(),
      );
    expect(await lineOf(workspace({}, []))).toBe(
      "stacks/ci/stack.ts: no apps and no layers to build (fix: add an app (nx g @prebake/nx-plugin:app <name>) or a layer (nx g @prebake/nx-plugin:layer <name>))",
    );
    expect(await lineOf(workspace({ "apps/b/app.yaml": "artifact: hello-erlang-release\n" }))).toContain(
      "two pipeline actions get the output artifact 'hello-erlang-release'",
    );
  });
});
