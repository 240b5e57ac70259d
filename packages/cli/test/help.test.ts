import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { useColor } from "@prebake/core";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { allCommands, wrapHelpText } from "../src/help.ts";
import { buildProgram } from "../src/program.ts";
import { commandPackages } from "../src/registrars.ts";
import { commandPath } from "../src/usage.ts";

const program = buildProgram(await Promise.all(commandPackages.map((p) => p.load())));

/** A command's whole --help text (commander's help plus what addHelpText adds), at 80 columns. */
function helpOf(command: Command): string {
  let text = "";
  command.configureOutput({ writeOut: (s) => (text += wrapHelpText(s, 80)), getOutHelpWidth: () => 80 });
  command.outputHelp();
  return text;
}

describe("help", () => {
  const commands = allCommands(program).filter((c) => c !== program);

  it.each(commands.map((c) => [commandPath(c), c] as const))("%s: has an example", (_path, command) => {
    expect(helpOf(command)).toMatch(/\nExamples?:\n {2}\S/);
  });

  it("wraps at the width: no line of any help is wider than 80 columns, numbers show as numbers", () => {
    for (const command of allCommands(program)) {
      const help = helpOf(command);
      const wide = help.split("\n").filter((line) => line.length > 80 && !/^ {2}\S/.test(line.trimEnd()));
      expect(wide, commandPath(command)).toEqual([]);
      expect(help, commandPath(command)).not.toMatch(/\(default: "\d+"\)/);
    }
    expect(helpOf(commands.find((c) => commandPath(c) === "prebake codebuild run")!)).toContain(
      "(default: 60)",
    );
  });
});

describe("colour", () => {
  it("--color/--no-color decide; else NO_COLOR, then FORCE_COLOR, then the terminal; CI alone does not", () => {
    expect(useColor(undefined, true, {})).toBe(true);
    expect(useColor(undefined, true, { CI: "true" })).toBe(true);
    expect(useColor(undefined, false, {})).toBe(false);
    expect(useColor(undefined, false, { FORCE_COLOR: "1" })).toBe(true);
    expect(useColor(undefined, true, { FORCE_COLOR: "0" })).toBe(false);
    expect(useColor(undefined, true, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
    expect(useColor(true, false, { NO_COLOR: "1" })).toBe(true);
    expect(useColor(false, true, { FORCE_COLOR: "1" })).toBe(false);
  });

  it("the CLI honours them end to end", () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-colour-"));
    writeFileSync(join(dir, "b.yml"), "version: 0.2\nphases:\n  build:\n    commands: [make]\n");
    const bin = resolve(import.meta.dirname, "../bin/prebake.js");
    const run = (args: string[], env: Record<string, string>) => {
      const base: NodeJS.ProcessEnv = { ...process.env, CI: "true" };
      delete base.NO_COLOR;
      delete base.FORCE_COLOR;
      return spawnSync(process.execPath, [bin, ...args, "buildspec", "validate", "b.yml"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...base, ...env },
      }).stdout;
    };
    const green = "\u001b[32m";
    expect(run([], {})).not.toContain(green);
    expect(run([], { FORCE_COLOR: "1" })).toContain(green);
    expect(run([], { FORCE_COLOR: "1", NO_COLOR: "1" })).not.toContain(green);
    expect(run(["--no-color"], { FORCE_COLOR: "1" })).not.toContain(green);
    expect(run(["--color"], { NO_COLOR: "1" })).toContain(green);
  });
});
