/**
 * The memo of passing cfn-lint runs (.prebake/lint-passed/, deploy's and `prebake lint`'s) is keyed
 * by the template and the cfn-lint version: the real cfn-lint, behind a console script that reports
 * the version installed (PREBAKE_CFN_LINT_VERSION lets the run use it on purpose).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lintTemplate } from "../src/lint.ts";

const template = readFileSync(join(import.meta.dirname, "../../../stacks/image-rebuild/stack.yaml"), "utf8");
const realPath = process.env.PATH;
let root: string;
let bin: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "prebake-lint-memo-"));
  bin = join(root, "bin");
  mkdirSync(join(root, "stacks", "image-rebuild"), { recursive: true });
  writeFileSync(join(root, "stacks", "image-rebuild", "stack.yaml"), template);
  process.env.PATH = `${bin}:${realPath}`;
});
afterEach(() => {
  process.env.PATH = realPath;
  delete process.env.PREBAKE_CFN_LINT_VERSION;
});

/** An installed cfn-lint: pip's console script runs the real one and is rewritten by an upgrade. */
function installCfnLint(version: string) {
  mkdirSync(bin, { recursive: true });
  const script = join(bin, "cfn-lint");
  writeFileSync(
    script,
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "cfn-lint ${version}"; exit 0; fi\n` +
      `PATH="${realPath}" exec cfn-lint "$@"\n`,
  );
  chmodSync(script, 0o755);
  process.env.PREBAKE_CFN_LINT_VERSION = version;
}

describe("the lint memo", () => {
  it("replays a pass of the same template by the same cfn-lint, and lints again after an upgrade", async () => {
    const file = join(root, "stacks", "image-rebuild", "stack.yaml");
    installCfnLint("1.51.0+a");
    expect(await lintTemplate(root, file)).toEqual({ findings: [], cached: false });
    expect(await lintTemplate(root, file)).toEqual({ findings: [], cached: true });
    installCfnLint("1.52.0");
    expect(await lintTemplate(root, file)).toEqual({ findings: [], cached: false });
    expect(await lintTemplate(root, file)).toEqual({ findings: [], cached: true });
  });
});
