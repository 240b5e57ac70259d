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
import { spawnSync } from "node:child_process";
import { programFingerprint, rememberedAnswer, toolAnswerFile } from "@prebake/core/tool-answer";

/** What the version reads as when no cfn-lint is on PATH (lint installs it, and the key changes). */
export const NO_CFN_LINT = "none";

/** What decides which cfn-lint runs (see core's programFingerprint); undefined when none is on PATH. */
export function cfnLintFingerprint(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return programFingerprint("cfn-lint", cwd, env)?.join("\n");
}

function askCfnLint(env: NodeJS.ProcessEnv): string {
  const r = spawnSync("cfn-lint", ["--version"], { encoding: "utf8", env });
  // "cfn-lint 1.51.0"
  const version = /(\d+\.\d+\.\d+\S*)/.exec(r.stdout ?? "")?.[1];
  return r.status === 0 && version ? version : NO_CFN_LINT;
}

/** The cfn-lint version (e.g. "1.51.0"), or NO_CFN_LINT; remembered under <rootDir>/.prebake/. */
export async function cfnLintVersion(rootDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fingerprint = cfnLintFingerprint(rootDir, env);
  if (!fingerprint) return NO_CFN_LINT;
  return rememberedAnswer(
    toolAnswerFile(rootDir, "cfn-lint-version"),
    fingerprint,
    async () => askCfnLint(env),
    (version) => version !== NO_CFN_LINT,
  );
}
