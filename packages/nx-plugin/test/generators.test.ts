/**
 * The generators on Nx's in-memory Tree: the folders they write, the names they refuse. That the
 * folders build and deploy is generators.int.test.ts's part (real nx, engine and moto).
 */
import { createTree } from "@nx/devkit/testing";
import { describe, expect, it } from "vitest";
import appGenerator from "../src/generators/app/generator.ts";
import imageGenerator from "../src/generators/image/generator.ts";
import layerGenerator from "../src/generators/layer/generator.ts";
import stackGenerator from "../src/generators/stack/generator.ts";

const filesUnder = (tree: ReturnType<typeof createTree>, dir: string): string[] =>
  tree.children(dir).flatMap((child) => {
    const path = `${dir}/${child}`;
    return tree.isFile(path) ? [path] : filesUnder(tree, path);
  });

describe("nx g @prebake/nx-plugin:<kind> <name>", () => {
  it("app: a rebar3 release of the app's own Erlang application, with an EUnit test", async () => {
    const tree = createTree();
    await appGenerator(tree, { name: "second-app" });
    expect(filesUnder(tree, "apps/second-app").sort()).toEqual([
      "apps/second-app/.gitignore",
      "apps/second-app/app.yaml",
      "apps/second-app/rebar.config",
      "apps/second-app/src/second_app.app.src",
      "apps/second-app/src/second_app.erl",
      "apps/second-app/src/second_app_app.erl",
      "apps/second-app/src/second_app_sup.erl",
      "apps/second-app/test/second_app_tests.erl",
    ]);
    expect(tree.read("apps/second-app/rebar.config", "utf8")).toContain(
      '{release, {second_app, "0.1.0"}, [second_app, sasl]}',
    );
    expect(tree.read("apps/second-app/app.yaml", "utf8")).toContain("SecondAppAppProject");
    expect(tree.read("apps/second-app/test/second_app_tests.erl", "utf8")).toContain(
      'second_app:greeting(<<"Ann">>)',
    );
  });

  it("layer: layer.yaml, a requirements lock with no lines yet, the layer's own package", async () => {
    const tree = createTree();
    await layerGenerator(tree, { name: "my-layer" });
    expect(filesUnder(tree, "layers/my-layer").sort()).toEqual([
      "layers/my-layer/layer.yaml",
      "layers/my-layer/python/my_layer/__init__.py",
      "layers/my-layer/requirements.txt",
    ]);
    expect(tree.read("layers/my-layer/layer.yaml", "utf8")).toMatch(/^name: my-layer$/m);
    const requirements = tree.read("layers/my-layer/requirements.txt", "utf8")!;
    expect(requirements.split("\n").filter((l) => l.trim() && !l.startsWith("#"))).toEqual([]);
  });

  it("image: image.yaml FROM the profile's base, a Dockerfile, its activate script", async () => {
    const tree = createTree();
    await imageGenerator(tree, { name: "node-tools", repository: "team/node-tools" });
    expect(filesUnder(tree, "images/node-tools").sort()).toEqual([
      "images/node-tools/.dockerignore",
      "images/node-tools/Dockerfile",
      "images/node-tools/activate",
      "images/node-tools/image.yaml",
    ]);
    const yaml = tree.read("images/node-tools/image.yaml", "utf8")!;
    expect(yaml).toContain("repository: team/node-tools");
    expect(yaml).toContain("local: prebake/debian:bookworm");
    expect(tree.read("images/node-tools/Dockerfile", "utf8")).toContain(
      "COPY activate /opt/node-tools/activate",
    );
    const other = createTree();
    await imageGenerator(other, { name: "tools" });
    expect(other.read("images/tools/image.yaml", "utf8")).toContain("repository: prebake/tools");
  });

  it("stack: a stack.ts in prebake's template model", async () => {
    const tree = createTree();
    await stackGenerator(tree, { name: "extra" });
    expect(filesUnder(tree, "stacks/extra")).toEqual(["stacks/extra/stack.ts"]);
    expect(tree.read("stacks/extra/stack.ts", "utf8")).toContain('Description: "extra"');
  });

  it("refuses a name of the wrong form, or one a folder of any kind already has, and writes nothing", async () => {
    const tree = createTree();
    tree.write("images/erlang-otp/image.yaml", "");
    await expect(layerGenerator(tree, { name: "erlang-otp" })).rejects.toThrow(
      "images/erlang-otp: exists already (project names are folder names, unique across images/, stacks/, apps/ and layers/) (fix: choose another name, or edit the existing folder)",
    );
    await expect(appGenerator(tree, { name: "second_app" })).rejects.toThrow(
      "apps/second_app: app name 'second_app' must be lowercase words",
    );
    await expect(stackGenerator(tree, { name: "a--b" })).rejects.toThrow("stacks/a--b: stack name 'a--b'");
    await expect(imageGenerator(tree, { name: "Tools" })).rejects.toThrow(
      "images/Tools: image name 'Tools' must be lowercase letters, digits, dots, dashes or underscores",
    );
    expect(
      tree
        .listChanges()
        .filter((c) => /^(apps|layers|images|stacks)\//.test(c.path))
        .map((c) => c.path),
    ).toEqual(["images/erlang-otp/image.yaml"]);
  });
});
