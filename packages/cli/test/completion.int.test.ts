import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * `prebake completion bash` loaded into a real bash: `complete -p` shows it registered, and the
 * completion function, called as bash calls it (COMP_WORDS, COMP_CWORD), offers what the command
 * tree has at each position.
 */
const bin = resolve(import.meta.dirname, "../bin/prebake.js");
let script: string;

function prebake(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
}

beforeAll(() => {
  const r = prebake(["completion", "bash"]);
  expect(r.status, r.stderr).toBe(0);
  script = join(mkdtempSync(join(tmpdir(), "prebake-completion-")), "prebake.bash");
  writeFileSync(script, r.stdout);
});

/** What bash offers after the words typed (the last one being completed). */
function complete(...words: string[]): string[] {
  const line = ["prebake", ...words];
  const program = [
    `source ${JSON.stringify(script)}`,
    `COMP_WORDS=(${line.map((w) => JSON.stringify(w)).join(" ")})`,
    `COMP_CWORD=${line.length - 1}`,
    "_prebake_completion",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = spawnSync("bash", ["-c", program], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean).sort();
}

describe("prebake completion bash", () => {
  it("registers with complete -p", () => {
    const r = spawnSync("bash", ["-c", `source ${JSON.stringify(script)} && complete -p prebake`], {
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe("complete -o default -F _prebake_completion prebake");
  });

  it("completes commands, subcommands and options by position, past global options and their values", () => {
    expect(complete("de")).toEqual(["deploy", "destroy"]);
    expect(complete("dep")).toEqual(["deploy"]);
    expect(complete("code")).toEqual(["codebuild"]);
    expect(complete("codebuild", "r")).toEqual(["rebuild-images", "run"]);
    expect(complete("--profile", "aws", "codebuild", "run", "--ti")).toEqual(["--timeout"]);
    expect(complete("buildspec", "validate", "--")).toEqual(["--compute", "--help"]);
    expect(complete("comp")).toEqual(["completion"]); // it completes itself: generated from the tree
    expect(complete("--v")).toEqual(["--verbose"]);
  });

  it("zsh gets the same function through bashcompinit; another shell is a usage error", () => {
    const zsh = prebake(["completion", "zsh"]);
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toContain("autoload -U +X bashcompinit && bashcompinit");
    expect(zsh.stdout).toContain("complete -o default -F _prebake_completion prebake");
    const fish = prebake(["completion", "fish"]);
    expect(fish.status).toBe(2);
    expect(fish.stderr).toMatch(
      /^prebake: error: prebake completion: command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh/,
    );
  });
});
