import {
  chmodSync,
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
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cfnLintFingerprint, cfnLintVersion, NO_CFN_LINT } from "../src/cfn-lint-version.ts";

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
