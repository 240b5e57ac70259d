import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, ValidationError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { checkStack, renderStack, renderStackText } from "../src/index.ts";
import { errorLocation } from "../src/render.ts";
import { tempDir } from "./helpers.ts";

const repo = join(import.meta.dirname, "../../..");

const stackApi = pathToFileURL(join(import.meta.dirname, "../src/index.ts")).href;

function project(stacks: Record<string, string>): string {
  const root = tempDir("prebake-stack-");
  writeFileSync(join(root, "nx.json"), "{}");
  for (const [name, source] of Object.entries(stacks)) {
    mkdirSync(join(root, "stacks", name), { recursive: true });
    writeFileSync(join(root, "stacks", name, "stack.ts"), source);
  }
  return root;
}

const good = `import { defineTemplate, Ref, resource } from "${stackApi}";
export default defineTemplate({
  Parameters: { Name: { Type: "String", Default: "x" } },
  Resources: { Param: resource("AWS::SSM::Parameter", { Type: "String", Value: Ref("Name") }) },
});
`;

describe("render", () => {
  it("writes stack.yaml with the header; a second render is byte-identical and leaves the file alone", async () => {
    const root = project({ demo: good });
    expect((await renderStack(root, "demo")).action).toBe("written");
    const file = join(root, "stacks/demo/stack.yaml");
    const first = readFileSync(file, "utf8");
    expect(first.split("\n")[0]).toBe(
      "# Generated from stack.ts by `prebake render`. Do not edit; edit stack.ts and run `npx nx run demo:render`.",
    );
    expect(first).toContain("Value: !Ref Name");
    const mtime = statSync(file).mtimeMs;
    expect((await renderStack(root, "demo")).action).toBe("unchanged");
    expect(readFileSync(file, "utf8")).toBe(first);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it("a syntax error in stack.ts is one ConfigError line, and nothing is written", async () => {
    const root = project({ broken: `export default {\n  Resources: {\n` });
    const err = await renderStack(root, "broken").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toMatch(
      /^stacks\/broken\/stack\.ts(:\d+)?: cannot load: [^\n]+\(fix: fix the error in stacks\/broken\/stack\.ts\)$/,
    );
    expect(existsSync(join(root, "stacks/broken/stack.yaml"))).toBe(false);

    // The CLI on Node's own type stripping (what users run) also names the line.
    const r = spawnSync(process.execPath, [join(repo, "packages/cli/bin/prebake.js"), "render", "broken"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(
      /^prebake: error: stacks\/broken\/stack\.ts:\d+: cannot load: [^\n]+ \(fix: fix the error in stacks\/broken\/stack\.ts\)$/,
    );
    expect(existsSync(join(root, "stacks/broken/stack.yaml"))).toBe(false);
  });

  it("finds the stack line in Node's syntax errors and in runtime stack frames", () => {
    const dir = "/r/stacks";
    expect(
      errorLocation(
        {
          stack: "/r/stacks/ci/stack.ts:5\n    B: 1\n    ^\n\nSyntaxError [ERR_INVALID_TYPESCRIPT_SYNTAX]: x",
        },
        dir,
      ),
    ).toEqual({ file: "/r/stacks/ci/stack.ts", line: 5 });
    expect(
      errorLocation(
        {
          stack:
            "TypeError: x\n    at f (file:///r/packages/images/src/x.ts:9:1)\n    at file:///r/stacks/shared.ts?mtime=1:12:36\n    at file:///r/stacks/ci/stack.ts:2:1",
        },
        dir,
      ),
    ).toEqual({ file: "/r/stacks/shared.ts", line: 12 });
    expect(errorLocation(new Error("no frames here"), "/elsewhere")).toBeUndefined();
  });

  it("a runtime error names the line of stack.ts; a PrebakeError from a helper passes through as it is", async () => {
    const root = project({
      thrown: `const none = undefined as unknown as { id: string };\nexport default () => ({ Resources: { A: none.id } });\n`,
      helper: `import { ConfigError } from "@prebake/core";\nthrow new ConfigError("no image named 'x'", { where: "images/x/image.yaml", fix: "create it" });\n`,
    });
    const thrown = (await renderStack(root, "thrown").catch((e: unknown) => e)) as ConfigError;
    expect(thrown.toLine()).toMatch(
      /^stacks\/thrown\/stack\.ts:2: cannot load: Cannot read properties of undefined/,
    );
    const helper = (await renderStack(root, "helper").catch((e: unknown) => e)) as ConfigError;
    expect(helper.toLine()).toBe("images/x/image.yaml: no image named 'x' (fix: create it)");
    expect(existsSync(join(root, "stacks/thrown/stack.yaml"))).toBe(false);
  });

  it("a dangling !Ref keeps the previous stack.yaml as it was (no half-written file)", async () => {
    const root = project({ demo: good });
    await renderStack(root, "demo");
    const before = readFileSync(join(root, "stacks/demo/stack.yaml"), "utf8");
    writeFileSync(join(root, "stacks/demo/stack.ts"), good.replace('Ref("Name")', 'Ref("Nmae")'));
    const err = await renderStack(root, "demo").catch((e: unknown) => e);
    expect((err as ConfigError).toLine()).toContain(
      "stacks/demo/stack.ts: Resources.Param.Properties.Value: !Ref 'Nmae' is dangling",
    );
    expect(readFileSync(join(root, "stacks/demo/stack.yaml"), "utf8")).toBe(before);
  });

  it("--check passes on a fresh file and fails (exit 4) on a stale or missing one", async () => {
    const root = project({ demo: good });
    const missing = await checkStack(root, "demo").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ValidationError);
    await renderStack(root, "demo");
    expect((await checkStack(root, "demo")).action).toBe("up-to-date");
    writeFileSync(join(root, "stacks/demo/stack.ts"), good.replace('Default: "x"', 'Default: "y"'));
    const stale = (await checkStack(root, "demo").catch((e: unknown) => e)) as ValidationError;
    expect(stale.exitCode).toBe(4);
    expect(stale.toLine()).toBe(
      "stacks/demo/stack.yaml: differs from a fresh render of stack.ts (fix: run `npx nx run demo:render` and commit the result)",
    );
  });
});

describe("prebake render --check (the command)", () => {
  it("names every stale file in one run, exits 4, and gives a JSON result per stack", async () => {
    const root = project({ one: good, two: good, three: good });
    for (const name of ["one", "two", "three"]) await renderStack(root, name);
    for (const name of ["one", "three"])
      writeFileSync(join(root, "stacks", name, "stack.ts"), good.replace('Default: "x"', 'Default: "z"'));
    const r = spawnSync(
      process.execPath,
      [join(repo, "packages/cli/bin/prebake.js"), "--json", "render", "--check"],
      {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, CI: "true" },
      },
    );
    expect(r.status).toBe(4);
    expect(
      JSON.parse(r.stdout).map((x: { stack: string; action: string }) => `${x.stack}:${x.action}`),
    ).toEqual(["one:stale", "three:stale", "two:up-to-date"]);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "prebake: error: stacks/one/stack.yaml, stacks/three/stack.yaml: 2 rendered templates are stale (fix: run `npx nx run-many -t render` and commit the results)",
    );
    // --check wrote nothing
    expect(readFileSync(join(root, "stacks/one/stack.yaml"), "utf8")).toContain("Default: x\n");
  });
});

describe("the committed stacks", () => {
  it("render twice to the same bytes, which are the committed stack.yaml", async () => {
    const root = join(import.meta.dirname, "../../..");
    for (const stack of ["ci", "image-rebuild"]) {
      const first = await renderStackText(root, stack);
      const second = await renderStackText(root, stack);
      expect(second).toBe(first);
      expect(readFileSync(join(root, "stacks", stack, "stack.yaml"), "utf8")).toBe(first);
    }
  });
});
