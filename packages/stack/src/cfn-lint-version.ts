/**
 * The version of the cfn-lint on PATH, cheaply. It keys every remembered lint pass (Nx's `lint`
 * cache and deploy's .prebake/lint-passed memo), so upgrading cfn-lint re-lints instead of
 * replaying a pass the new rules might fail. It is asked on every no-op pipeline run, and
 * `cfn-lint --version` costs 2-3 s of Python start-up, so the answer is remembered in
 * .prebake/cfn-lint-version.json next to a fingerprint of the files that decide which cfn-lint
 * runs (core's tool-answer); a changed fingerprint asks cfn-lint again.
 *
 * Only node builtins and core's builtins-only tool-answer here: `bin/cfn-lint-version.mjs`
 * (Nx's runtime input) loads this alone.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { programFingerprint, rememberedAnswer, toolAnswerFile } from "@prebake/core/tool-answer";

/**
 * The cfn-lint version prebake runs, and the only one: its rules decide whether a deploy may go
 * ahead, so every machine lints with the same ones, and nothing is installed at deploy time.
 * The one place it is written: scripts/local-env.sh reads it from this line to install it, and
 * the README's install command points there. Moving it is an upgrade: edit it, rerun `up`.
 */
export const CFN_LINT_PIN = "1.51.0";

/** Runs another cfn-lint version on purpose (to try an upgrade before moving the pin). */
export const CFN_LINT_VERSION_VARIABLE = "PREBAKE_CFN_LINT_VERSION";

/** The cfn-lint version this run requires: the pin, or PREBAKE_CFN_LINT_VERSION when set. */
export const requiredCfnLintVersion = (env: NodeJS.ProcessEnv = process.env): string =>
  env[CFN_LINT_VERSION_VARIABLE] || CFN_LINT_PIN;

/** What the version reads as when no cfn-lint is on PATH (lint refuses to run, and says how to install it). */
export const NO_CFN_LINT = "none";

/** What decides which cfn-lint runs (see core's programFingerprint); undefined when none is on PATH. */
export function cfnLintFingerprint(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return programFingerprint("cfn-lint", cwd, env)?.join("\n");
}

const execFileAsync = promisify(execFile);

// Asynchronous: Nx's batch process asks this while other tasks poll and push.
async function askCfnLint(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync("cfn-lint", ["--version"], { encoding: "utf8", env });
    // "cfn-lint 1.51.0"
    return /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? NO_CFN_LINT;
  } catch {
    return NO_CFN_LINT;
  }
}

const asking = new Map<string, Promise<string>>();

/** The cfn-lint version (e.g. "1.51.0"), or NO_CFN_LINT; remembered under <rootDir>/.prebake/. */
export async function cfnLintVersion(rootDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fingerprint = cfnLintFingerprint(rootDir, env);
  if (!fingerprint) return NO_CFN_LINT;
  // Tasks of one batch ask at the same moment: one --version run answers them all.
  const key = `${rootDir}\n${fingerprint}`;
  let answer = asking.get(key);
  if (!answer) {
    answer = rememberedAnswer(
      toolAnswerFile(rootDir, "cfn-lint-version"),
      fingerprint,
      () => askCfnLint(env),
      (version) => version !== NO_CFN_LINT,
    );
    asking.set(key, answer);
    void answer.finally(() => asking.delete(key));
  }
  return answer;
}
