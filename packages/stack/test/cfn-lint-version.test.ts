import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PrebakeError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { CFN_LINT_PIN, cfnLintFingerprint, cfnLintVersion, NO_CFN_LINT } from "../src/cfn-lint-version.ts";
import { requireCfnLint } from "../src/lint.ts";

/**
 * A cfn-lint console script as pip writes one; each --version call is counted in `asked`.
 * An upgrade replaces the script: a new file, written later than the old one.
 */
function writeCfnLint(dir: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "cfn-lint");
  const previous = existsSync(script) ? statSync(script).mtimeMs : undefined;
  rmSync(script, { force: true });
  writeFileSync(script, `#!/bin/sh\necho x >> "${dir}/asked"\necho "cfn-lint ${version}"\n`);
  chmodSync(script, 0o755);
  if (previous !== undefined) utimesSync(script, new Date(), new Date(previous + 1000));
}
const asked = (dir: string) =>
  existsSync(join(dir, "asked")) ? readFileSync(join(dir, "asked"), "utf8").split("\n").length - 1 : 0;

describe("cfn-lint version", () => {
  it("is asked once, then remembered until the install changes", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-cfnv-"));
    const bin = join(root, "bin");
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    writeCfnLint(bin, "1.51.0");
    expect(await cfnLintVersion(root, env)).toBe("1.51.0");
    expect(await cfnLintVersion(root, env)).toBe("1.51.0");
    expect(asked(bin)).toBe(1);
    // pip rewrites the console script on an upgrade
    writeCfnLint(bin, "1.52.0");
    expect(await cfnLintVersion(root, env)).toBe("1.52.0");
    expect(asked(bin)).toBe(2);
  });

  it("is 'none' without a cfn-lint on PATH, and nothing is remembered", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-cfnv-"));
    expect(await cfnLintVersion(root, { PATH: join(root, "empty") })).toBe(NO_CFN_LINT);
    expect(existsSync(join(root, ".prebake", "cfn-lint-version.json"))).toBe(false);
  });

  it("behind a pyenv shim, follows the selected Python and each version's script", () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-pyenv-"));
    const pyenv = join(root, ".pyenv");
    writeCfnLint(join(pyenv, "shims"), "shim: never asked for a fingerprint");
    writeCfnLint(join(pyenv, "versions", "3.11.7", "bin"), "1.51.0");
    mkdirSync(join(pyenv, "versions", "3.12.1", "bin"), { recursive: true });
    writeFileSync(join(pyenv, "version"), "3.11.7\n");
    const env = { PATH: join(pyenv, "shims"), PYENV_ROOT: pyenv };
    const before = cfnLintFingerprint(root, env);
    expect(cfnLintFingerprint(root, env)).toBe(before);
    expect(cfnLintFingerprint(root, { ...env, PYENV_VERSION: "3.12.1" })).not.toBe(before);
    writeCfnLint(join(pyenv, "versions", "3.12.1", "bin"), "1.52.0");
    const installed = cfnLintFingerprint(root, env);
    expect(installed).not.toBe(before);
    writeFileSync(join(root, ".python-version"), "3.12.1\n");
    expect(cfnLintFingerprint(root, env)).not.toBe(installed);
  });
});

describe("the pinned cfn-lint", () => {
  const lineOf = async (p: Promise<unknown>) =>
    p.then(
      () => "no error",
      (err: PrebakeError) => `${err.exitCode} ${err.toLine()}`,
    );

  it("runs only when it is the pinned version; a missing or different one is exit 5 with the install command", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-cfnpin-"));
    const bin = join(root, "bin");
    writeCfnLint(bin, CFN_LINT_PIN);
    expect(await requireCfnLint(root, { PATH: `${bin}:/usr/bin:/bin` })).toBe(CFN_LINT_PIN);

    const other = join(root, "other");
    writeCfnLint(other, "1.60.0");
    expect(await lineOf(requireCfnLint(root, { PATH: `${other}:/usr/bin:/bin` }))).toBe(
      `5 ${join(other, "cfn-lint")}: cfn-lint 1.60.0 is installed, but this run needs ${CFN_LINT_PIN} ` +
        `(the version prebake is pinned to) (fix: pip install cfn-lint==${CFN_LINT_PIN}, or set ` +
        "PREBAKE_CFN_LINT_VERSION=1.60.0 to lint with this one on purpose)",
    );
    expect(await lineOf(requireCfnLint(root, { PATH: join(root, "empty") }))).toBe(
      `5 cfn-lint: cfn-lint is not installed (prebake runs cfn-lint ${CFN_LINT_PIN}) ` +
        `(fix: pip install cfn-lint==${CFN_LINT_PIN} and put it on PATH (scripts/local-env.sh up installs it))`,
    );
    // Nothing was installed: still none on that PATH.
    expect(await cfnLintVersion(root, { PATH: join(root, "empty") })).toBe(NO_CFN_LINT);
  });

  it("PREBAKE_CFN_LINT_VERSION runs another version on purpose, and only that one", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-cfnpin-"));
    const bin = join(root, "bin");
    writeCfnLint(bin, "1.60.0");
    const env = { PATH: `${bin}:/usr/bin:/bin`, PREBAKE_CFN_LINT_VERSION: "1.60.0" };
    expect(await requireCfnLint(root, env)).toBe("1.60.0");
    expect(await lineOf(requireCfnLint(root, { ...env, PREBAKE_CFN_LINT_VERSION: "1.61.0" }))).toContain(
      "cfn-lint 1.60.0 is installed, but this run needs 1.61.0 (PREBAKE_CFN_LINT_VERSION)",
    );
  });

  it("scripts/local-env.sh installs the pinned version with pip when another one is on PATH", () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-cfnpin-"));
    const bin = join(root, "bin");
    writeCfnLint(bin, "1.60.0");
    // pip as a script that records its arguments and "installs" by rewriting the console script.
    writeFileSync(
      join(bin, "pip"),
      `#!/bin/sh\necho "$@" >> "${root}/pip-args"\n` +
        `printf '#!/bin/sh\\necho "cfn-lint %s"\\n' "\${2#cfn-lint==}" > "${bin}/cfn-lint"\n`,
    );
    chmodSync(join(bin, "pip"), 0o755);
    // A checkout of its own (the script and the pin), so nothing of this one's .prebake/ changes.
    const repo = join(root, "repo");
    for (const file of [
      "scripts/local-env.sh",
      "scripts/local-env",
      "packages/core/src/local-services.json",
      "packages/stack/src/cfn-lint-version.ts",
    ]) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      cpSync(join(import.meta.dirname, "../../..", file), join(repo, file), { recursive: true });
    }
    const script = join(repo, "scripts/local-env.sh");
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const r = spawnSync("bash", [script, "cfn-lint"], { encoding: "utf8", env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(root, "pip-args"), "utf8")).toBe(`install cfn-lint==${CFN_LINT_PIN}\n`);
    expect(r.stdout).toContain(`cfn-lint: installed ${CFN_LINT_PIN}`);
    // Once it is the pinned one, nothing is installed again.
    const again = spawnSync("bash", [script, "cfn-lint"], { encoding: "utf8", env });
    expect(again.stdout).toContain(`cfn-lint: ${CFN_LINT_PIN} (the pinned version) on PATH`);
    expect(readFileSync(join(root, "pip-args"), "utf8").split("\n")).toHaveLength(2);
  });

  it("the README installs the pinned version", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8");
    expect(readme).toContain(`pip install cfn-lint==${CFN_LINT_PIN}`);
  });
});
