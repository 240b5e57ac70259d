/**
 * cfn-lint before any API call: errors block the deploy (exit 4), warnings are printed.
 * The run itself is @prebake/stack's (the same cfn-lint `prebake lint` uses); this module adds
 * a memo: a template body that passed once is remembered (with its warnings) by its sha256
 * under .prebake/lint-passed/, because cfn-lint's ~1.5 s of Python start-up would otherwise
 * dominate a no-op deploy.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type LintFinding, runCfnLint } from "@prebake/stack";

export { formatFinding, type LintFinding } from "@prebake/stack";

export interface LintResult {
  findings: LintFinding[];
  cached: boolean;
}

/** Lint a template file; resolves with the findings (errors included: the caller decides). */
export async function lintTemplate(rootDir: string, file: string, body: string): Promise<LintResult> {
  const hash = createHash("sha256").update(body).digest("hex");
  const marker = join(rootDir, ".prebake", "lint-passed", hash);
  if (existsSync(marker)) {
    // The warnings of a passing body are replayed, so a cache hit prints what a run would.
    return { findings: JSON.parse(readFileSync(marker, "utf8")) as LintFinding[], cached: true };
  }
  const findings = runCfnLint([file], rootDir);
  if (!findings.some((f) => f.level === "error")) {
    await mkdir(join(rootDir, ".prebake", "lint-passed"), { recursive: true });
    await writeFile(marker, `${JSON.stringify(findings)}\n`);
  }
  return { findings, cached: false };
}
