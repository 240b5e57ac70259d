import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFinding, runCfnLint } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

// The real cfn-lint (Python) against the committed templates and a deliberately broken one.
const root = join(import.meta.dirname, "../../..");
const bin = join(root, "packages/cli/bin/prebake.js");

describe("cfn-lint", () => {
  it("reports nothing at all on both committed templates, not even an informational finding", async () => {
    const files = ["ci", "image-rebuild"].map((s) => join(root, "stacks", s, "stack.yaml"));
    expect((await runCfnLint(files, root)).map(formatFinding)).toEqual([]);
    expect((await runCfnLint(files, root, { includeInfo: true })).map(formatFinding)).toEqual([]);
    // and the command says so, exit 0
    const r = spawnSync(process.execPath, [bin, "lint"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain(
      "cfn-lint: stacks/ci/stack.yaml, stacks/image-rebuild/stack.yaml clean",
    );
  });

  it("reports a finding as file:line: rule: message, and the CLI exits 4", async () => {
    const dir = tempDir("prebake-lint-");
    writeFileSync(join(dir, "nx.json"), "{}");
    mkdirSync(join(dir, "stacks", "bad"), { recursive: true });
    writeFileSync(join(dir, "stacks", "bad", "stack.ts"), "export default {}\n");
    writeFileSync(
      join(dir, "stacks", "bad", "stack.yaml"),
      "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 8\n",
    );
    const findings = await runCfnLint([join(dir, "stacks/bad/stack.yaml")], dir);
    expect(findings.length).toBeGreaterThan(0);
    expect(formatFinding(findings[0]!)).toMatch(/^stacks\/bad\/stack\.yaml:5: E\d+: .+/);

    const r = spawnSync(process.execPath, [bin, "lint", "bad"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    expect(r.status).toBe(4);
    expect(r.stdout).toMatch(/warning: stacks\/bad\/stack\.yaml:5: E\d+: /);
    expect(r.stderr).toMatch(/^prebake: error: stacks\/bad\/stack\.yaml: cfn-lint reported \d+ finding\(s\)/);
  });
});
