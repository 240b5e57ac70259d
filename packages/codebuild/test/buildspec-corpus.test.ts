import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { parseBuildspec, refuseUnsupportedLocally } from "../src/index.ts";

/**
 * The corpus: one buildspec per construct of CodeBuild's reference that real buildspecs use, each
 * saying in its `# expect:` lines what `buildspec validate` must make of it: valid; a warning at a
 * line (what AWS deprecates, naming the replacement); an error at line:column (what AWS rejects).
 * Every error of a file is expected, and no other.
 */
const dir = join(import.meta.dirname, "buildspecs");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));

interface Expect {
  kind: "valid" | "warning" | "error";
  at?: string;
  text?: string;
}

function expectationsOf(text: string): Expect[] {
  return [...text.matchAll(/^# expect: (valid|warning|error)(?: (\d+(?::\d+)?) (.*))?$/gm)].map((m) => ({
    kind: m[1] as Expect["kind"],
    at: m[2],
    text: m[3],
  }));
}

function problemsOf(text: string, file: string): string[] {
  try {
    parseBuildspec(text, file);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.length > 0
      ? err.problems.map((p) => `${p.where}: ${p.message} (fix: ${p.fix})`)
      : [err.toLine()];
  }
}

describe("the buildspec corpus", () => {
  it("has a file for each construct", () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files)("%s", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    const expects = expectationsOf(text);
    expect(expects.length, `${file} says what to expect`).toBeGreaterThan(0);
    const errors = expects.filter((e) => e.kind === "error");
    const problems = problemsOf(text, file);
    expect(problems).toHaveLength(errors.length);
    errors.forEach((e, i) => {
      expect(problems[i]).toContain(`${file}:${e.at}: ${e.text}`);
    });
    if (errors.length > 0) return;
    const spec = parseBuildspec(text, file);
    const warnings = expects.filter((e) => e.kind === "warning");
    expect(spec.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => {
      expect(spec.warnings[i]).toMatch(new RegExp(`^${file}:${w.at}(:\\d+)?: `));
      expect(spec.warnings[i]).toContain(w.text);
    });
  });

  it("no command is ever the string 'null'", () => {
    const spec = parseBuildspec("version: 0.2\nphases:\n  build:\n    commands:\n      - 'null'\n", "q.yml");
    expect(spec.phases.build?.commands).toEqual(["null"]); // quoted: the user's text
    expect(problemsOf("version: 0.2\nphases:\n  build:\n    commands:\n      - ~\n", "n.yml")).toEqual([
      "n.yml:5:9: phases.build.commands has an empty item (fix: write the item after `- `, or remove the line)",
    ]);
  });

  it("a local run of a batch-only buildspec names the tasks' buildspecs to run instead", () => {
    const spec = parseBuildspec(readFileSync(join(dir, "batch-build-graph.yml"), "utf8"), "batch.yml");
    expect(() => refuseUnsupportedLocally(spec)).toThrow(ConfigError);
    try {
      refuseUnsupportedLocally(spec);
    } catch (err) {
      expect((err as ConfigError).toLine()).toBe(
        "batch.yml:4: a batch buildspec with no phases: its build-graph tasks run their own builds " +
          "(fix: run a task's buildspec: prebake codebuild run -b build1.yml, or prebake codebuild run -b build2.yml)",
      );
    }
  });

  it("prebake buildspec validate reports every error of every file, then one line that counts them (exit 3)", () => {
    const bin = resolve(import.meta.dirname, "../../cli/bin/prebake.js");
    const r = spawnSync(
      process.execPath,
      [bin, "buildspec", "validate", "several-errors.yml", "empty-command-item.yml", "every-key.yml"],
      { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true" } },
    );
    expect(r.status).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("error: "))).toHaveLength(6);
    expect(lines).toContain(
      "error: empty-command-item.yml:10:9: phases.build.commands has an empty item (fix: write the item after `- `, or remove the line)",
    );
    expect(lines.at(-1)).toBe(
      "prebake: error: several-errors.yml:10:5: unknown key 'comands' in phases.build (and 5 more listed above) " +
        "(fix: did you mean commands? (use one of: run-as, on-failure, runtime-versions, commands, finally, steps))",
    );
  });
});
