import { describe, expect, it } from "vitest";
import { inferProject, readStackOrdering } from "../src/infer.ts";

const none = () => undefined;

describe("nx plugin target inference", () => {
  it("an image folder gets build-image, push and deploy, none cached", () => {
    const p = inferProject("images/erlang-otp/image.yaml", none)!;
    expect(p.name).toBe("erlang-otp");
    expect(Object.keys(p.targets)).toEqual(["build-image", "push", "deploy"]);
    expect(p.targets.push!.command).toBe("prebake push erlang-otp");
    expect(Object.values(p.targets).every((t) => !t.cache)).toBe(true);
  });

  it("a stack folder caches pure targets only and deploys after what its template says it uses", () => {
    const yaml =
      "Metadata:\n  Prebake:\n    Images: [erlang-otp]\n    After: [image-rebuild]\nResources:\n  A:\n    Properties:\n      X: !Ref B\n";
    const p = inferProject("stacks/ci/stack.ts", (path) =>
      path === "stacks/ci/stack.yaml" ? yaml : undefined,
    )!;
    expect(p.implicitDependencies).toEqual(["erlang-otp", "image-rebuild"]);
    expect(p.targets.render!.cache).toBe(true);
    expect(p.targets.lint!.cache).toBe(true);
    expect(p.targets.check!.cache).toBe(true);
    expect(p.targets.deploy!.cache).toBe(false);
    expect(p.targets.deploy!.dependsOn).toEqual(["lint", "^deploy"]);
  });

  it("a stack that has not been rendered yet has no ordering", () => {
    expect(inferProject("stacks/new/stack.ts", none)!.implicitDependencies).toEqual([]);
  });

  it("layers deploy after the python-layer image; Erlang apps get a codebuild target", () => {
    const layer = inferProject("examples/common-utils/layer.yaml", none)!;
    expect(layer.implicitDependencies).toEqual(["python-layer"]);
    expect(layer.targets.deploy!.dependsOn).toEqual(["^deploy"]);
    const app = inferProject("examples/hello-erlang/rebar.config", none)!;
    expect(Object.keys(app.targets)).toEqual(["codebuild"]);
  });

  it("ignores files that are not project markers", () => {
    expect(inferProject("images/erlang-otp/Dockerfile", none)).toBeUndefined();
    expect(inferProject("examples/x/README.md", none)).toBeUndefined();
  });

  it("reads ordering from a template with CloudFormation short tags", () => {
    expect(
      readStackOrdering("Resources:\n  A:\n    Type: X\n    Properties: { B: !GetAtt C.Arn }\n"),
    ).toEqual({
      images: [],
      after: [],
    });
  });
});
