import { spawnSync } from "node:child_process";
import { relative } from "node:path";
import { firstLine, UnavailableError } from "@prebake/core";

/** One cfn-lint finding, as prebake prints it: `file:line: rule: message`. */
export interface LintFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  level: "error" | "warning" | "info";
  message: string;
}

export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line}: ${f.rule}: ${f.message}`;
}

/** cfn-lint's `parseable` format: file:line:col:endline:endcol:rule:message (the file may hold colons on Windows only). */
export function parseCfnLintOutput(stdout: string, root: string): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const raw of stdout.split("\n")) {
    const m = /^(.*?):(\d+):(\d+):(\d+):(\d+):([EWI]\d+):(.*)$/.exec(raw.trim());
    if (!m) continue;
    const rule = m[6]!;
    findings.push({
      file: relative(root, m[1]!) || m[1]!,
      line: Number(m[2]),
      column: Number(m[3]),
      rule,
      level: rule.startsWith("E") ? "error" : rule.startsWith("W") ? "warning" : "info",
      message: m[7]!.trim(),
    });
  }
  return findings;
}

function hasCfnLint(): boolean {
  return spawnSync("cfn-lint", ["--version"], { encoding: "utf8" }).status === 0;
}

/** Make sure the official cfn-lint is on PATH: install it with pip when it is missing. */
export function ensureCfnLint(log: (message: string) => void): void {
  if (hasCfnLint()) return;
  log("cfn-lint is not installed: installing it with `pip install cfn-lint`");
  const pip = spawnSync("python3", ["-m", "pip", "install", "--quiet", "cfn-lint"], { encoding: "utf8" });
  if (pip.status !== 0 || !hasCfnLint()) {
    // pip's own last line says why (no network, an externally managed Python, ...).
    const lines = (pip.stderr || pip.stdout || String(pip.error ?? "")).trim().split("\n");
    const reason = lines.find((l) => /^\s*error\b/i.test(l)) ?? lines.at(-1);
    const why = pip.status !== 0 ? `: ${reason?.trim()}` : ", but `cfn-lint` is still not on PATH";
    throw new UnavailableError(`cfn-lint is not installed and \`pip install cfn-lint\` failed${why}`, {
      where: "cfn-lint",
      fix: "install it (pip install cfn-lint, pip install --user cfn-lint or pipx install cfn-lint) and put it on PATH",
    });
  }
}

/**
 * Run cfn-lint over the given templates and return every finding: errors and warnings, and with
 * `includeInfo` also the informational checks cfn-lint leaves out by default.
 */
export function runCfnLint(
  files: string[],
  root: string,
  log: (message: string) => void = () => {},
  includeInfo = false,
): LintFinding[] {
  ensureCfnLint(log);
  const args = ["--format", "parseable", ...(includeInfo ? ["--include-checks", "I"] : []), "--", ...files];
  const r = spawnSync("cfn-lint", args, { cwd: root, encoding: "utf8" });
  // cfn-lint exits with a bit mask of the levels it found; 0 means clean. Anything it could not
  // parse as a finding (a crash) is surfaced rather than mistaken for a clean run.
  const findings = parseCfnLintOutput(r.stdout ?? "", root);
  if (r.status !== 0 && findings.length === 0) {
    throw new UnavailableError(`cfn-lint failed: ${firstLine(r.stderr || r.stdout || "")}`, {
      where: files.map((f) => relative(root, f)).join(", "),
      fix: "run cfn-lint on the file by hand to see the problem",
    });
  }
  return findings;
}
