import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ConfigError } from "@prebake/core";
import { afterEach, describe, expect, it } from "vitest";
import { loadAppDefinition, loadAppDefinitions } from "../src/index.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repository with the two images and the shared buildspec, plus `files`. */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-apps-"));
  roots.push(root);
  const all = {
    "images/erlang-otp/image.yaml": "",
    "images/python-layer/image.yaml": "",
    "buildspecs/erlang-app.yml": "",
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

const lineOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ConfigError).toLine();
  }
  throw new Error("did not throw");
};

describe("app definitions (apps/<name>/app.yaml)", () => {
  it("an app with only a rebar.config builds with the defaults", () => {
    const root = repo({ "apps/hello-erlang/rebar.config": "" });
    expect(loadAppDefinition(root, "hello-erlang")).toEqual({
      name: "hello-erlang",
      folder: "apps/hello-erlang",
      file: undefined,
      description: undefined,
      image: "erlang-otp",
      buildspec: "buildspecs/erlang-app.yml",
      computeType: undefined,
      environment: {},
      artifact: "hello-erlang-release",
    });
  });

  it("app.yaml sets the image, buildspec, compute, variables and artifact", () => {
    const root = repo({
      "buildspecs/tool.yml": "",
      "apps/tool/app.yaml":
        "image: python-layer\nbuildspec: buildspecs/tool.yml\ncomputeType: BUILD_LAMBDA_2GB\n" +
        "environment: { MIX_ENV: prod, RETRIES: 3 }\nartifact: ToolBundle\ndescription: The tool\n",
    });
    expect(loadAppDefinition(root, "tool")).toMatchObject({
      file: "apps/tool/app.yaml",
      image: "python-layer",
      buildspec: "buildspecs/tool.yml",
      computeType: "BUILD_LAMBDA_2GB",
      environment: { MIX_ENV: "prod", RETRIES: "3" },
      artifact: "ToolBundle",
      description: "The tool",
    });
  });

  it("every app, sorted, through core's list of apps/", () => {
    const root = repo({ "apps/b/rebar.config": "", "apps/a/app.yaml": "", "apps/notes/README.md": "" });
    expect(loadAppDefinitions(root).map((a) => a.name)).toEqual(["a", "b"]);
  });

  it("refuses what CodeBuild or the stack could not use, naming the file and field", () => {
    const cases: [Record<string, string>, string][] = [
      [
        { "apps/x/app.yaml": "image: nope\n" },
        "apps/x/app.yaml: image: no image 'nope' (images/nope/image.yaml) (fix: use one of: erlang-otp, python-layer)",
      ],
      [
        { "apps/x/app.yaml": "buildspec: buildspecs/missing.yml\n" },
        "apps/x/app.yaml: buildspec: buildspec buildspecs/missing.yml does not exist (fix: create it or fix the path)",
      ],
      [
        { "apps/x/app.yaml": "buildspec: ../outside.yml\n" },
        "apps/x/app.yaml: buildspec: '../outside.yml' is outside the repository (fix: give a path relative to the root)",
      ],
      [
        { "apps/x/app.yaml": "environment: { PREBAKE_APP_DIR: elsewhere }\n" },
        "apps/x/app.yaml: environment.PREBAKE_APP_DIR: PREBAKE_APP_DIR is set by the project itself",
      ],
      [{ "apps/x/app.yaml": "computeType: BUILD_HUGE\n" }, "apps/x/app.yaml:1:14: computeType: "],
      [{ "apps/x/app.yaml": "artifact: a/b\n" }, "apps/x/app.yaml:1:11: artifact: must be letters, digits"],
      [
        { "apps/x/app.yaml": "imagee: erlang-otp\n" },
        "apps/x/app.yaml:1:1: unknown key 'imagee' (fix: did you mean image?",
      ],
    ];
    for (const [files, line] of cases) {
      expect(lineOf(() => loadAppDefinition(repo(files), "x"))).toContain(line);
    }
  });

  it("a folder name the stack cannot turn into a project is refused with the rule", () => {
    const root = repo({ "apps/Hello_App/rebar.config": "" });
    expect(lineOf(() => loadAppDefinitions(root))).toBe(
      "apps/Hello_App: app 'Hello_App' must be lowercase words of letters and digits joined by single dashes, " +
        "each starting with a letter (at most 63 characters) (fix: rename the folder (it names the app's CodeBuild project))",
    );
  });
});
