/**
 * cfn-lint before any API call: errors block the deploy (exit 4), warnings are printed.
 * @prebake/stack had no lint function when this was written, so this module runs cfn-lint itself.
 * A template body that passed once is remembered (with its warnings) by its sha256 under
 * .prebake/lint-passed/ (cfn-lint costs
 * about 1.5 s of Python start-up, which would otherwise dominate a no-op deploy).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { UnavailableError } from "@prebake/core";

export interface LintFinding {
  file: string;
  line: number;
  rule: string;
  message: string;
  level: "error" | "warning" | "info";
}

/** Parse cfn-lint's `--format parseable` lines: path:line:col:endline:endcol:rule:message. */
export function parseCfnLintOutput(text: string, shownFile: string): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const raw of text.split("\n")) {
    const m = /^(.*?):(\d+):\d+:\d+:\d+:([EWI]\d+):(.*)$/.exec(raw.trim());
    if (!m) continue;
    const rule = m[3]!;
    findings.push({
      file: shownFile,
      line: Number(m[2]),
      rule,
      message: m[4]!.trim(),
      level: rule.startsWith("E") ? "error" : rule.startsWith("W") ? "warning" : "info",
    });
  }
  return findings;
}

export const formatFinding = (f: LintFinding) => `${f.file}:${f.line}: ${f.rule}: ${f.message}`;

function runCfnLint(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "cfn-lint",
      ["--format", "parseable", "--", file],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return reject(err);
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface LintResult {
  findings: LintFinding[];
  cached: boolean;
}

/** Lint a template file; resolves with the findings (errors included: the caller decides). */
export async function lintTemplate(rootDir: string, file: string, body: string): Promise<LintResult> {
  const shown = relative(rootDir, file) || file;
  const hash = createHash("sha256").update(body).digest("hex");
  const marker = join(rootDir, ".prebake", "lint-passed", hash);
  if (existsSync(marker)) {
    // The warnings of a passing body are replayed, so a cache hit prints what a run would.
    return { findings: JSON.parse(readFileSync(marker, "utf8")) as LintFinding[], cached: true };
  }
  let run: Awaited<ReturnType<typeof runCfnLint>>;
  try {
    run = await runCfnLint(file);
  } catch {
    throw new UnavailableError("cfn-lint is not installed", {
      where: shown,
      fix: "pip install cfn-lint (or pass --no-lint to deploy without it)",
    });
  }
  const findings = parseCfnLintOutput(run.stdout, shown);
  // Bit 2 = errors, 4 = warnings, 8 = informational; anything else (1) means cfn-lint itself failed.
  if (run.code !== 0 && (run.code & 14) === 0) {
    findings.push({
      file: shown,
      line: 1,
      rule: "cfn-lint",
      message: (run.stderr || run.stdout).trim().split("\n").pop() ?? `exit ${run.code}`,
      level: "error",
    });
  }
  if (!findings.some((f) => f.level === "error")) {
    await mkdir(join(rootDir, ".prebake", "lint-passed"), { recursive: true });
    await writeFile(marker, `${JSON.stringify(findings)}\n`);
  }
  return { findings, cached: false };
}
