/**
 * The version of the cfn-lint on PATH, cheaply. It keys every remembered lint pass (Nx's `lint`
 * cache and deploy's .prebake/lint-passed memo), so upgrading cfn-lint re-lints instead of
 * replaying a pass the new rules might fail. It is asked on every no-op pipeline run, and
 * `cfn-lint --version` costs 2-3 s of Python start-up, so the answer is remembered in
 * .prebake/cfn-lint-version.json next to a fingerprint of the files that decide which cfn-lint
 * runs; a changed fingerprint asks cfn-lint again.
 *
 * Only node builtins here: `bin/cfn-lint-version.mjs` (Nx's runtime input) loads this alone.
 */
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";

/** What the version reads as when no cfn-lint is on PATH (lint installs it, and the key changes). */
export const NO_CFN_LINT = "none";

function onPath(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

const stamp = (file: string) => {
  try {
    const real = realpathSync(file);
    const s = statSync(real);
    return `${real}:${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return `${file}:missing`;
  }
};

/**
 * pip rewrites the console script on every install or upgrade, so its stamp changes with the
 * version. A pyenv shim never changes: behind it, what decides is the selected Python (the
 * PYENV_VERSION variable, .python-version files, the global version file) and the script in
 * each installed version.
 */
export function cfnLintFingerprint(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exe = onPath("cfn-lint", env.PATH);
  if (!exe) return undefined;
  const parts = [stamp(exe)];
  const pyenvRoot = env.PYENV_ROOT ?? dirname(dirname(exe));
  if (dirname(exe).endsWith("/shims") && existsSync(join(pyenvRoot, "versions"))) {
    parts.push(`PYENV_VERSION=${env.PYENV_VERSION ?? ""}`, stamp(join(pyenvRoot, "version")));
    for (let dir = cwd; ; dir = dirname(dir)) {
      if (existsSync(join(dir, ".python-version"))) parts.push(stamp(join(dir, ".python-version")));
      if (dirname(dir) === dir) break;
    }
    for (const version of readdirSync(join(pyenvRoot, "versions")).sort()) {
      parts.push(stamp(join(pyenvRoot, "versions", version, "bin", "cfn-lint")));
    }
  }
  return parts.join("\n");
}

function askCfnLint(env: NodeJS.ProcessEnv): string {
  const r = spawnSync("cfn-lint", ["--version"], { encoding: "utf8", env });
  // "cfn-lint 1.51.0"
  const version = /(\d+\.\d+\.\d+\S*)/.exec(r.stdout ?? "")?.[1];
  return r.status === 0 && version ? version : NO_CFN_LINT;
}

interface Memo {
  fingerprint: string;
  version: string;
}

/** The cfn-lint version (e.g. "1.51.0"), or NO_CFN_LINT; remembered under <rootDir>/.prebake/. */
export async function cfnLintVersion(rootDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fingerprint = cfnLintFingerprint(rootDir, env);
  if (!fingerprint) return NO_CFN_LINT;
  const file = join(rootDir, ".prebake", "cfn-lint-version.json");
  try {
    const memo = JSON.parse(readFileSync(file, "utf8")) as Memo;
    if (memo.fingerprint === fingerprint) return memo.version;
  } catch {}
  const version = askCfnLint(env);
  if (version !== NO_CFN_LINT) {
    await mkdir(dirname(file), { recursive: true });
    // Renamed into place: Nx's runtime input and a deploy may ask at the same moment.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ fingerprint, version } satisfies Memo)}\n`);
    await rename(tmp, file);
  }
  return version;
}
