/**
 * cfn-lint before any API call: errors block the deploy (exit 4), warnings are printed.
 * The run itself is @prebake/stack's (the same cfn-lint `prebake lint` uses); this module adds
 * a memo: a template body that passed once is remembered (with its warnings) under
 * .prebake/lint-passed/, because cfn-lint's ~1.5 s of Python start-up would otherwise dominate a
 * no-op deploy. The key is the body and the cfn-lint version: an upgraded cfn-lint may have rules
 * the old pass never ran, so it lints again.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cfnLintVersion, type LintFinding, runCfnLint } from "@prebake/stack";

export { formatFinding, type LintFinding } from "@prebake/stack";

export interface LintResult {
  findings: LintFinding[];
  cached: boolean;
}

/** The memo file of a passing lint of `body` by this cfn-lint version. */
export function lintPassedMarker(rootDir: string, body: string, cfnLintVersion: string): string {
  const key = createHash("sha256").update(`cfn-lint ${cfnLintVersion}\n`).update(body).digest("hex");
  return join(rootDir, ".prebake", "lint-passed", key);
}

/** Lint a template file; resolves with the findings (errors included: the caller decides). */
export async function lintTemplate(rootDir: string, file: string, body: string): Promise<LintResult> {
  const marker = lintPassedMarker(rootDir, body, await cfnLintVersion(rootDir));
  if (existsSync(marker)) {
    // The warnings of a passing body are replayed, so a cache hit prints what a run would.
    return { findings: JSON.parse(readFileSync(marker, "utf8")) as LintFinding[], cached: true };
  }
  const findings = runCfnLint([file], rootDir);
  if (!findings.some((f) => f.level === "error")) {
    // Asked again: runCfnLint installs cfn-lint when it is missing, which changes the version.
    const passed = lintPassedMarker(rootDir, body, await cfnLintVersion(rootDir));
    await mkdir(join(rootDir, ".prebake", "lint-passed"), { recursive: true });
    await writeFile(passed, `${JSON.stringify(findings)}\n`);
  }
  return { findings, cached: false };
}
