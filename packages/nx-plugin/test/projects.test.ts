import { describe, expect, it } from "vitest";
import { CFN_LINT_VERSION, CHECK_INPUTS, LINT_INPUTS, RENDER_INPUTS, STACK_SOURCES } from "../src/inputs.ts";
import { markerOf, projectFromFile } from "../src/projects.ts";
import { PREBAKE_EXECUTOR } from "../src/targets.ts";

const argv = (target: { options?: { argv: string[] } } | undefined) => target?.options?.argv;

describe("nx plugin: projects and targets", () => {
  it("an image folder gets build-image, push and deploy (= push), none cached", () => {
    const p = projectFromFile("images/erlang-otp/image.yaml")!;
    expect(p.name).toBe("erlang-otp");
    expect(Object.keys(p.targets!)).toEqual(["build-image", "push", "deploy"]);
    expect(argv(p.targets!.push)).toEqual(["push", "erlang-otp"]);
    expect(argv(p.targets!.deploy)).toEqual(["push", "erlang-otp"]);
    expect(Object.values(p.targets!).map((t) => t.cache)).toEqual([false, false, false]);
  });

  it("a stack caches its pure targets only and deploys after what its template says it uses", () => {
    const p = projectFromFile("stacks/ci/stack.ts", { images: ["erlang-otp"], after: ["image-rebuild"] })!;
    expect(p.implicitDependencies).toEqual(["erlang-otp", "image-rebuild"]);
    const t = p.targets!;
    expect([t.render!.cache, t.check!.cache, t.lint!.cache, t.deploy!.cache]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(t.lint!.dependsOn).toEqual(["render"]);
    expect(t.deploy!.dependsOn).toEqual(["lint", "^deploy"]);
    expect(argv(t.check)).toEqual(["render", "ci", "--check"]);
    expect(t.render!.outputs).toEqual(["{projectRoot}/stack.yaml"]);
  });

  it("render, check and lint hash the same sources, shared helpers and image definitions included", () => {
    const t = projectFromFile("stacks/ci/stack.ts")!.targets!;
    for (const target of [t.render!, t.check!, t.lint!]) {
      expect(target.inputs).toEqual(expect.arrayContaining(STACK_SOURCES));
    }
    expect(STACK_SOURCES).toEqual(
      expect.arrayContaining(["{workspaceRoot}/stacks/*.ts", "{workspaceRoot}/images/*/image.yaml"]),
    );
    expect(t.render!.inputs).toBe(RENDER_INPUTS);
    expect(t.check!.inputs).toBe(CHECK_INPUTS);
    expect(t.check!.inputs).toContain("{projectRoot}/stack.yaml");
    expect(t.lint!.inputs).toBe(LINT_INPUTS);
  });

  it("lint's cache key holds the cfn-lint version, read by the workspace's Node", () => {
    const lint = projectFromFile("stacks/ci/stack.ts")!.targets!.lint!;
    expect(lint.inputs).toContainEqual(CFN_LINT_VERSION);
    expect(CFN_LINT_VERSION).toEqual({
      runtime: "node_modules/.bin/node packages/stack/bin/cfn-lint-version.mjs",
    });
  });

  it("deploy targets get one configuration per environment: -c dev runs prebake --env dev", () => {
    const envs = ["dev", "prod"];
    const stack = projectFromFile("stacks/ci/stack.ts", undefined, envs)!.targets!;
    expect(stack.deploy!.configurations).toEqual({
      dev: { argv: ["--env", "dev", "deploy", "ci"] },
      prod: { argv: ["--env", "prod", "deploy", "ci"] },
    });
    expect(argv(stack.deploy)).toEqual(["deploy", "ci"]); // without -c: the default environment
    expect(stack.lint!.configurations).toBeUndefined(); // render and lint do not depend on the environment
    const image = projectFromFile("images/erlang-otp/image.yaml", undefined, envs)!.targets!;
    expect(image.deploy!.configurations!.dev).toEqual({ argv: ["--env", "dev", "push", "erlang-otp"] });
    const layer = projectFromFile("layers/common-utils/layer.yaml", undefined, envs)!.targets!;
    expect(layer.deploy!.configurations!.prod).toEqual({
      argv: ["--env", "prod", "layer", "publish", "common-utils"],
    });
    expect(projectFromFile("stacks/ci/stack.ts")!.targets!.deploy!.configurations).toBeUndefined();
  });

  it("a stack that has not been rendered yet has no ordering", () => {
    expect(projectFromFile("stacks/new/stack.ts")!.implicitDependencies).toEqual([]);
  });

  it("layers deploy after the python-layer image; Erlang apps get a codebuild target", () => {
    const layer = projectFromFile("layers/common-utils/layer.yaml")!;
    expect(layer.implicitDependencies).toEqual(["python-layer"]);
    expect(layer.targets!.deploy!.dependsOn).toEqual(["^deploy"]);
    expect(argv(layer.targets!.deploy)).toEqual(["layer", "publish", "common-utils"]);
    const app = projectFromFile("apps/hello-erlang/rebar.config")!;
    expect(Object.keys(app.targets!)).toEqual(["codebuild"]);
    expect(app.implicitDependencies).toEqual(["erlang-otp"]);
  });

  it("an app's codebuild target runs the app's own project; the app depends on the image it builds in", () => {
    for (const [app, project] of [
      ["hello-erlang", "ci/HelloErlangAppProject"],
      ["second-app", "ci/SecondAppAppProject"],
    ]) {
      expect(argv(projectFromFile(`apps/${app}/app.yaml`)!.targets!.codebuild)).toEqual([
        "codebuild",
        "run",
        "--project",
        project,
        "--source",
        ".",
      ]);
    }
    // A new app's project must be rendered into stacks/ci before its run reads it.
    expect(projectFromFile("apps/x/app.yaml")!.targets!.codebuild!.dependsOn).toEqual([
      { projects: ["ci"], target: "render" },
    ]);
    const onPython = projectFromFile("apps/tool/app.yaml", undefined, [], "python-layer")!;
    expect(onPython.implicitDependencies).toEqual(["python-layer"]);
  });

  it("every target runs prebake through the plugin's executor and names the command", () => {
    const files = [
      "images/a/image.yaml",
      "stacks/b/stack.ts",
      "layers/c/layer.yaml",
      "apps/d/rebar.config",
      "apps/e/app.yaml",
    ];
    for (const file of files) {
      for (const target of Object.values(projectFromFile(file)!.targets!)) {
        expect(target.executor).toBe(PREBAKE_EXECUTOR);
        expect(target.metadata?.description).toContain(`(prebake ${argv(target)!.join(" ")})`);
      }
    }
  });

  it("ignores files that are not project markers", () => {
    expect(projectFromFile("images/erlang-otp/Dockerfile")).toBeUndefined();
    expect(projectFromFile("layers/x/README.md")).toBeUndefined();
    // Layers and apps moved out of examples/: a leftover folder there is no project.
    expect(projectFromFile("examples/common-utils/layer.yaml")).toBeUndefined();
    expect(projectFromFile("examples/hello-erlang/rebar.config")).toBeUndefined();
    expect(projectFromFile("stacks/a/b/stack.ts")).toBeUndefined();
    expect(markerOf("stacks/ci/stack.yaml")).toBeUndefined();
    expect(markerOf("stacks/ci/stack.ts")).toEqual({ kind: "stack", name: "ci", root: "stacks/ci" });
  });
});
