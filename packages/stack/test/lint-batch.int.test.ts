/**
 * cfn-lint as the Nx batch runs it: the real cfn-lint, asynchronously (a poll beside it keeps its
 * pace), and several templates in one process with each template's own findings.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { formatFinding, lintTemplates } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

const repo = join(import.meta.dirname, "../../..");
const BAD = "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 8\n";

/** A throw-away root with stacks/<name>/stack.yaml for each entry (a committed stack's file, or a body). */
function workspace(stacks: Record<string, string>): string {
  const root = tempDir("prebake-lint-batch-");
  for (const [name, source] of Object.entries(stacks)) {
    mkdirSync(join(root, "stacks", name), { recursive: true });
    const file = join(root, "stacks", name, "stack.yaml");
    if (source.startsWith("stacks/")) copyFileSync(join(repo, source), file);
    else writeFileSync(file, source);
  }
  return root;
}

describe("cfn-lint in the batch", () => {
  it("a poll every 50 ms keeps its pace while a real cfn-lint runs beside it", async () => {
    const root = workspace({ ci: "stacks/ci/stack.yaml" });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const ticks: number[] = [];
    const poll = setInterval(() => ticks.push(performance.now()), 50);
    delay.enable();
    const started = performance.now();
    const results = await lintTemplates(root, ["stacks/ci/stack.yaml"]);
    const lintMs = performance.now() - started;
    delay.disable();
    clearInterval(poll);
    expect(results.get("stacks/ci/stack.yaml")).toEqual({ findings: [], cached: false });
    // A real cfn-lint ran (Python's start-up alone is over a second on this machine)...
    expect(lintMs).toBeGreaterThan(500);
    // ...and the poll went on: a synchronous run would leave one gap as long as the lint.
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    const worstGap = Math.max(...gaps);
    const worstDelayMs = delay.max / 1e6;
    expect(worstGap, `worst gap ${worstGap} ms in a lint of ${lintMs} ms`).toBeLessThan(lintMs / 2);
    expect(worstDelayMs, `event-loop delay up to ${worstDelayMs} ms`).toBeLessThan(lintMs / 2);
  });

  it("templates asked for together go to one cfn-lint; each gets its own findings, a bad one fails alone", async () => {
    const root = workspace({
      ci: "stacks/ci/stack.yaml",
      bad: BAD,
      "image-rebuild": "stacks/image-rebuild/stack.yaml",
    });
    const files = ["stacks/ci/stack.yaml", "stacks/bad/stack.yaml", "stacks/image-rebuild/stack.yaml"];
    // A cfn-lint that counts its runs, in front of the real one.
    const bin = tempDir("prebake-lint-bin-");
    const realPath = process.env.PATH;
    writeFileSync(
      join(bin, "cfn-lint"),
      `#!/bin/sh\n[ "$1" = "--version" ] || echo run >> "${bin}/runs"\nPATH="${realPath}" exec cfn-lint "$@"\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${realPath}`;
    try {
      // Three callers in the same moment, as three lint tasks of one batch.
      const [ci, bad, rebuild] = await Promise.all(files.map((f) => lintTemplates(root, [f])));
      expect(readFileSync(join(bin, "runs"), "utf8")).toBe("run\n");
      expect(ci!.get(files[0]!)).toEqual({ findings: [], cached: false });
      expect(rebuild!.get(files[2]!)).toEqual({ findings: [], cached: false });
      const badFindings = (bad!.get(files[1]!) as { findings: Parameters<typeof formatFinding>[0][] })
        .findings;
      expect(badFindings.map(formatFinding)).toEqual([
        expect.stringMatching(/^stacks\/bad\/stack\.yaml:5: E3030: /),
      ]);
      // Every answer is kept for the rest of the process (the failing one too): no second run.
      const again = await lintTemplates(root, files);
      expect(again.get(files[0]!)).toEqual({ findings: [], cached: true });
      expect((again.get(files[1]!) as { findings: unknown[] }).findings).toEqual(badFindings);
      expect(readFileSync(join(bin, "runs"), "utf8")).toBe("run\n");
    } finally {
      process.env.PATH = realPath;
    }
  });
});
