/**
 * The cached stack targets re-run when anything the render reads changes, and lint when cfn-lint
 * changes: the real nx and plugin, in a copy of this repository's stacks, images, apps and layers.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeWorkspace, replayed, suffix, type TempWorkspace } from "./workspace.ts";

let ws: TempWorkspace;
beforeEach(() => {
  ws = makeWorkspace({
    project: `nxc-${suffix()}`,
    copy: ["stacks", "images", "apps", "layers", "buildspecs"],
  });
});
afterEach(() => ws.remove());

/** Runs ci:check twice: the first runs it, the second must replay it (so the cache works at all). */
function checkPassesThenReplays() {
  const first = ws.nx(["run", "ci:check"]);
  expect(first.code, first.output).toBe(0);
  expect(replayed(first, "ci:check"), first.output).toBe(false);
  const again = ws.nx(["run", "ci:check"]);
  expect(again.code, again.output).toBe(0);
  expect(replayed(again, "ci:check"), again.output).toBe(true);
}

describe("check and lint hash what the render reads", () => {
  it("editing stacks/shared.ts runs check again instead of replaying its pass", () => {
    checkPassesThenReplays();
    ws.write(
      "stacks/shared.ts",
      `${ws.read("stacks/shared.ts")}\n// an edit that leaves the templates alone\n`,
    );
    const afterEdit = ws.nx(["run", "ci:check"]);
    expect(afterEdit.code, afterEdit.output).toBe(0);
    expect(replayed(afterEdit, "ci:check"), afterEdit.output).toBe(false);
  });

  it("an edit of stacks/shared.ts that changes the template fails check (a replay would pass)", () => {
    checkPassesThenReplays();
    const shared = ws.read("stacks/shared.ts");
    const edited = shared.replace("amazonlinux2-x86_64-standard:5.0", "amazonlinux2-x86_64-standard:6.0");
    expect(edited).not.toBe(shared);
    ws.write("stacks/shared.ts", edited);
    const stale = ws.nx(["run", "ci:check"]);
    expect(stale.code).not.toBe(0);
    expect(stale.output).toContain("stacks/ci/stack.yaml: differs from a fresh render of stack.ts");
    expect(stale.output).toContain("prebake render ci --check: exit code 4 (validation)");
  });

  it("adding an app folder runs check again, and it fails: the ci stack now has the app's project", () => {
    checkPassesThenReplays();
    ws.write("apps/second-app/rebar.config", ws.read("apps/hello-erlang/rebar.config"));
    const stale = ws.nx(["run", "ci:check"]);
    expect(replayed(stale, "ci:check"), stale.output).toBe(false);
    expect(stale.code).not.toBe(0);
    expect(stale.output).toContain("stacks/ci/stack.yaml: differs from a fresh render of stack.ts");
    const render = ws.nx(["run", "ci:render"]);
    expect(render.code, render.output).toBe(0);
    expect(ws.read("stacks/ci/stack.yaml")).toContain("SecondAppAppProject:");
  });

  it("editing an image definition runs check again", () => {
    checkPassesThenReplays();
    const file = "images/python-layer/image.yaml";
    ws.write(file, `${ws.read(file)}\n# an edit\n`);
    const afterEdit = ws.nx(["run", "ci:check"]);
    expect(afterEdit.code, afterEdit.output).toBe(0);
    expect(replayed(afterEdit, "ci:check"), afterEdit.output).toBe(false);
  });
});

describe("lint's cache key holds the cfn-lint version", () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), "prebake-cfn-lint-"));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  /**
   * A cfn-lint install as pip leaves one: a console script on PATH, rewritten on every upgrade.
   * It runs the real cfn-lint, and reports the version given (this machine has one cfn-lint).
   */
  function installCfnLint(version: string) {
    const script = join(bin, "cfn-lint");
    writeFileSync(
      script,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "cfn-lint ${version}"; exit 0; fi\n` +
        `PATH="${process.env.PATH}" exec cfn-lint "$@"\n`,
    );
    chmodSync(script, 0o755);
  }

  it("upgrading cfn-lint runs lint again instead of replaying its pass", () => {
    const PATH = `${bin}:${join(ws.root, "node_modules", ".bin")}:${process.env.PATH}`;
    // The run lints with the installed version on purpose (it is not the pin).
    let env = { PATH, PREBAKE_CFN_LINT_VERSION: "1.51.0+a" };
    installCfnLint("1.51.0+a");
    const first = ws.nx(["run", "image-rebuild:lint"], env);
    expect(first.code, first.output).toBe(0);
    const again = ws.nx(["run", "image-rebuild:lint"], env);
    expect(replayed(again, "image-rebuild:lint"), again.output).toBe(true);
    installCfnLint("1.52.0");
    env = { PATH, PREBAKE_CFN_LINT_VERSION: "1.52.0" };
    const upgraded = ws.nx(["run", "image-rebuild:lint"], env);
    expect(upgraded.code, upgraded.output).toBe(0);
    expect(replayed(upgraded, "image-rebuild:lint"), upgraded.output).toBe(false);
    expect(ws.read(".prebake/cfn-lint-version.json")).toContain('"answer":"1.52.0"');
  });
});

describe("a new stack is linted once", () => {
  it("the run after the one that rendered and linted it replays its lint", () => {
    ws.write(
      "stacks/extra/stack.ts",
      `import { defineTemplate, resource } from "@prebake/stack";\n` +
        `export default defineTemplate({ AWSTemplateFormatVersion: "2010-09-09", Resources: {\n` +
        `  Value: resource("AWS::SSM::Parameter", { Type: "String", Value: "x" }) } });\n`,
    );
    // No stack.yaml yet: the render writes it, and lint's cache key must be what it wrote.
    const first = ws.nx(["run-many", "-t", "lint", "-p", "extra"]);
    expect(first.code, first.output).toBe(0);
    expect(replayed(first, "extra:lint"), first.output).toBe(false);
    const again = ws.nx(["run-many", "-t", "lint", "-p", "extra"]);
    expect(again.code, again.output).toBe(0);
    expect(replayed(again, "extra:lint"), again.output).toBe(true);
  });
});
