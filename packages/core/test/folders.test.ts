import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appImage } from "../src/app-image.ts";
import {
  listApps,
  listLayers,
  NAME_RULES,
  nameProblem,
  pascalCase,
  takenProjectFolder,
} from "../src/index.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workspace(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-folders-"));
  roots.push(root);
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), "");
  }
  return root;
}

describe("the repository's folders", () => {
  it("apps are folders under apps/ with an app.yaml or a rebar.config; layers under layers/ with a layer.yaml", () => {
    const root = workspace([
      "apps/b-app/rebar.config",
      "apps/a-app/app.yaml",
      "apps/both/app.yaml",
      "apps/both/rebar.config",
      "apps/notes/README.md",
      "layers/common-utils/layer.yaml",
      "layers/draft/requirements.txt",
      // Where layers and apps lived before: no longer read.
      "examples/old-layer/layer.yaml",
      "examples/hello-erlang/rebar.config",
    ]);
    expect(listApps(root)).toEqual(["a-app", "b-app", "both"]);
    expect(listLayers(root)).toEqual(["common-utils"]);
    expect(listApps(workspace([]))).toEqual([]);
  });

  it("the Nx plugin's light read of an app's image: app.yaml's, else erlang-otp (also for a broken file)", () => {
    const root = workspace(["apps/plain/rebar.config", "apps/tool/app.yaml", "apps/broken/app.yaml"]);
    writeFileSync(join(root, "apps/tool/app.yaml"), "image: python-layer\n");
    writeFileSync(join(root, "apps/broken/app.yaml"), "image: [unclosed\n");
    expect(appImage(root, "plain")).toBe("erlang-otp");
    expect(appImage(root, "tool")).toBe("python-layer");
    expect(appImage(root, "broken")).toBe("erlang-otp");
  });

  it("a project name is taken by a folder of that name under any of the four kinds", () => {
    const root = workspace(["images/erlang-otp/image.yaml", "layers/common-utils/layer.yaml", "stacks/ci/x"]);
    const exists = (folder: string) => existsSync(join(root, folder));
    expect(takenProjectFolder("erlang-otp", exists)).toBe("images/erlang-otp");
    expect(takenProjectFolder("common-utils", exists)).toBe("layers/common-utils");
    expect(takenProjectFolder("ci", exists)).toBe("stacks/ci");
    expect(takenProjectFolder("second-app", exists)).toBeUndefined();
  });
});

describe("names", () => {
  it("apps and stacks are dash-joined lowercase words; images and layers keep their definitions' rules", () => {
    for (const good of ["hello-erlang", "ci", "a1", "image-rebuild", "second-app2"]) {
      expect(nameProblem("app", good)).toBeUndefined();
      expect(nameProblem("stack", good)).toBeUndefined();
    }
    for (const bad of ["Hello", "a--b", "a-1b", "-a", "a-", "1a", "a_b", "a.b", "", "a".repeat(64)]) {
      expect(nameProblem("app", bad)).toBe(`'${bad}' ${NAME_RULES.app.message}`);
    }
    expect(nameProblem("image", "python-layer")).toBeUndefined();
    expect(nameProblem("image", "erlang_otp.27")).toBeUndefined();
    expect(nameProblem("image", "Erlang")).toContain("must be lowercase letters, digits, dots");
    expect(nameProblem("layer", "common-utils")).toBeUndefined();
    expect(nameProblem("layer", "common_utils")).toContain("must be lowercase letters, digits and dashes");
  });

  it("an app name maps to one logical id part, and two good names never map to the same one", () => {
    expect(pascalCase("hello-erlang")).toBe("HelloErlang");
    expect(pascalCase("ci")).toBe("Ci");
    const names = ["a-bc", "ab-c", "abc", "a-b-c", "a1-b", "a1b"];
    for (const name of names) expect(nameProblem("app", name)).toBeUndefined();
    expect(new Set(names.map(pascalCase)).size).toBe(names.length);
  });
});
