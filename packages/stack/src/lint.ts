/**
 * cfn-lint, the official linter, over rendered templates: the one place prebake runs it (`prebake
 * lint`, deploy's check before any AWS call, the Nx batch's lint tasks).
 *
 * - Asynchronous: the Nx batch runs many tasks in one process, and a synchronous cfn-lint (1.5 s
 *   of Python start-up, more under load) would stall every deploy poll and push beside it.
 * - Few processes: cfn-lint's start-up dominates its run (one process over 22 templates took
 *   3.2 s where nine took 14.2 s), so templates asked for at about the same time share one
 *   process (cfnLintProcesses below), and each caller gets its own files' findings back.
 * - Remembered: a template body that passed is kept with its warnings under .prebake/lint-passed/,
 *   keyed by the body and the cfn-lint version (an upgraded cfn-lint may have rules the old pass
 *   never ran); within one process every answer is kept, failures too.
 * - Pinned: only the version in cfn-lint-version.ts runs; a missing or different cfn-lint is an
 *   error that says how to install the pinned one, never an install.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { ConfigError, firstLine, statePaths, UnavailableError } from "@prebake/core";
import { onPath } from "@prebake/core/tool-answer";
import {
  CFN_LINT_PIN,
  CFN_LINT_VERSION_VARIABLE,
  cfnLintVersion,
  NO_CFN_LINT,
  requiredCfnLintVersion,
} from "./cfn-lint-version.ts";

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

/**
 * The cfn-lint on PATH, when it is the version this run requires (the pin, or
 * PREBAKE_CFN_LINT_VERSION); otherwise exit 5 with the install command. Never installs anything.
 */
export async function requireCfnLint(rootDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const version = await cfnLintVersion(rootDir, env);
  const wanted = requiredCfnLintVersion(env);
  if (version === wanted) return version;
  const install = `pip install cfn-lint==${wanted}`;
  if (version === NO_CFN_LINT) {
    throw new UnavailableError(`cfn-lint is not installed (prebake runs cfn-lint ${wanted})`, {
      where: "cfn-lint",
      fix: `${install} and put it on PATH (scripts/local-env.sh up installs it)`,
    });
  }
  const pinned = wanted === CFN_LINT_PIN ? "the version prebake is pinned to" : CFN_LINT_VERSION_VARIABLE;
  throw new UnavailableError(`cfn-lint ${version} is installed, but this run needs ${wanted} (${pinned})`, {
    where: onPath("cfn-lint", env.PATH) ?? "cfn-lint",
    fix: `${install}, or set ${CFN_LINT_VERSION_VARIABLE}=${version} to lint with this one on purpose`,
  });
}

export interface LintOptions {
  /** Also the informational checks cfn-lint leaves out by default. */
  includeInfo?: boolean;
}

function cfnLint(args: string[], root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      "cfn-lint",
      args,
      { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        done({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : "") });
      },
    );
  });
}

/**
 * One cfn-lint process over `files`: the findings of each file (by its absolute path). cfn-lint
 * exits with a bit mask of the levels it found; output it could not parse as a finding (a crash)
 * is surfaced rather than mistaken for a clean run. When a crash hides which file caused it,
 * each file is linted alone, so only the file that crashes cfn-lint fails.
 */
async function lintInOneProcess(
  files: string[],
  root: string,
  options: LintOptions,
): Promise<Map<string, LintFinding[] | Error>> {
  const args = [
    "--format",
    "parseable",
    ...(options.includeInfo ? ["--include-checks", "I"] : []),
    "--",
    ...files,
  ];
  const r = await cfnLint(args, root);
  const findings = parseCfnLintOutput(r.stdout, root);
  const byFile = new Map<string, LintFinding[] | Error>(files.map((f) => [f, []]));
  if (r.code !== 0 && findings.length === 0) {
    if (files.length > 1) {
      for (const file of files) byFile.set(file, (await lintInOneProcess([file], root, options)).get(file)!);
      return byFile;
    }
    const error = new UnavailableError(
      `cfn-lint failed: ${firstLine(r.stderr || r.stdout || `exit ${r.code}`)}`,
      {
        where: relative(root, files[0]!),
        fix: "run cfn-lint on the file by hand to see the problem",
      },
    );
    byFile.set(files[0]!, error);
    return byFile;
  }
  for (const f of findings) (byFile.get(resolve(root, f.file)) as LintFinding[] | undefined)?.push(f);
  return byFile;
}

interface Waiting {
  files: string[];
  root: string;
  options: LintOptions;
  done: (result: Map<string, LintFinding[] | Error>) => void;
}

/**
 * cfn-lint processes for the whole process: at most `max` at a time; templates asked for while
 * those run, or within a short quiet window of each other, go together into the next one (lint
 * tasks that start together reach here a few milliseconds apart, after their own reads). One at
 * a time measured best on this 2-core machine (docs/benchmarks.md, scale): a second process pays
 * the start-up again and competes with the builds and deploys beside it.
 */
class CfnLintProcesses {
  /** How long the queue waits for another request before it starts a process, and at most in all. */
  static readonly QUIET_MS = 25;
  static readonly MAX_WAIT_MS = 250;

  private waiting: Waiting[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstWaitingAt = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  lint(files: string[], root: string, options: LintOptions): Promise<Map<string, LintFinding[] | Error>> {
    return new Promise((done) => {
      if (this.waiting.length === 0) this.firstWaitingAt = performance.now();
      this.waiting.push({ files, root, options, done });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.max || this.waiting.length === 0) return;
    clearTimeout(this.timer);
    const waited = performance.now() - this.firstWaitingAt;
    const wait = Math.max(0, Math.min(CfnLintProcesses.QUIET_MS, CfnLintProcesses.MAX_WAIT_MS - waited));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.start();
    }, wait);
  }

  private async start(): Promise<void> {
    if (this.running >= this.max || this.waiting.length === 0) return;
    const first = this.waiting[0]!;
    const sameRun = (w: Waiting) =>
      w.root === first.root && !w.options.includeInfo === !first.options.includeInfo;
    const group = this.waiting.filter(sameRun);
    this.waiting = this.waiting.filter((w) => !sameRun(w));
    this.firstWaitingAt = performance.now();
    this.running++;
    try {
      const files = [...new Set(group.flatMap((w) => w.files))];
      const byFile = await lintInOneProcess(files, first.root, first.options);
      for (const w of group) w.done(new Map(w.files.map((f) => [f, byFile.get(f)!])));
    } finally {
      this.running--;
      this.schedule();
    }
  }
}

const processes = new CfnLintProcesses(1);

/** One cfn-lint process over `files` (paths from `root` or absolute): every finding, no memo. */
export async function runCfnLint(
  files: string[],
  root: string,
  options: LintOptions = {},
): Promise<LintFinding[]> {
  await requireCfnLint(root);
  const absolute = files.map((f) => resolve(root, f));
  const byFile = await processes.lint(absolute, root, options);
  return absolute.flatMap((f) => {
    const result = byFile.get(f)!;
    if (result instanceof Error) throw result;
    return result;
  });
}

export interface LintResult {
  findings: LintFinding[];
  /** No cfn-lint ran for it: the same body passed before (or was linted earlier in this process). */
  cached: boolean;
}

/** The memo file of a passing lint of `body` by this cfn-lint version. */
export function lintPassedMarker(
  rootDir: string,
  body: string,
  version: string,
  options: LintOptions = {},
): string {
  const hash = createHash("sha256").update(`cfn-lint ${version}\n`);
  if (options.includeInfo) hash.update("--include-checks I\n");
  return statePaths.lintPassed(rootDir, hash.update(body).digest("hex"));
}

/** Every answer of this process, by memo file: a body is linted at most once per process. */
const answers = new Map<string, Promise<LintFinding[] | Error>>();

/** A remembered finding belongs to whichever file has that body now. */
const inFile = (findings: LintFinding[], file: string) => findings.map((f) => ({ ...f, file }));

async function remember(marker: string, findings: LintFinding[]): Promise<void> {
  await mkdir(dirname(marker), { recursive: true });
  const tmp = `${marker}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(findings)}\n`);
  await rename(tmp, marker);
}

/**
 * Lint the given templates (paths from `rootDir` or absolute), each answered by its own findings:
 * remembered passes are replayed, and the rest go to cfn-lint together. A template cfn-lint
 * cannot lint at all is that template's error (thrown by `lintTemplate`, kept here).
 */
export async function lintTemplates(
  rootDir: string,
  files: string[],
  options: LintOptions = {},
): Promise<Map<string, LintResult | Error>> {
  const version = await requireCfnLint(rootDir);
  const results = new Map<string, LintResult | Error>();
  const read = await Promise.all(
    files.map(async (file) => {
      const absolute = resolve(rootDir, file);
      const shown = relative(rootDir, absolute) || absolute;
      try {
        const marker = lintPassedMarker(rootDir, await readFile(absolute, "utf8"), version, options);
        return { file, absolute, shown, marker };
      } catch (err) {
        results.set(
          file,
          new ConfigError(`cannot read the rendered template (${firstLine(err)})`, {
            where: shown,
            fix: "render it first (prebake render <stack>)",
          }),
        );
        return undefined;
      }
    }),
  );
  const wanted = read.filter((w) => w !== undefined);
  const toLint = wanted.filter((w) => !answers.has(w.marker) && !existsSync(w.marker));
  const cached = new Set(wanted.filter((w) => !toLint.includes(w)).map((w) => w.marker));
  if (toLint.length > 0) {
    const run = processes.lint([...new Set(toLint.map((w) => w.absolute))], rootDir, options);
    for (const w of toLint) {
      answers.set(
        w.marker,
        run.then(async (byFile) => {
          const result = byFile.get(w.absolute)!;
          // A crash is not remembered: the next ask runs cfn-lint again.
          if (result instanceof Error) answers.delete(w.marker);
          // The memo is an optimisation: one that cannot be written only means linting again.
          else if (!result.some((f) => f.level === "error")) await remember(w.marker, result).catch(() => {});
          return result;
        }),
      );
    }
  }
  for (const w of wanted) {
    let answer = answers.get(w.marker);
    if (!answer) {
      // Replayed: the warnings of a passing body print as a run would print them.
      answer = readFile(w.marker, "utf8").then((text) => JSON.parse(text) as LintFinding[]);
      answers.set(w.marker, answer);
    }
    const result = await answer;
    results.set(
      w.file,
      result instanceof Error ? result : { findings: inFile(result, w.shown), cached: cached.has(w.marker) },
    );
  }
  return results;
}

/** Lint one template; resolves with its findings (errors included: the caller decides). */
export async function lintTemplate(
  rootDir: string,
  file: string,
  options: LintOptions = {},
): Promise<LintResult> {
  const result = (await lintTemplates(rootDir, [file], options)).get(file)!;
  if (result instanceof Error) throw result;
  return result;
}
