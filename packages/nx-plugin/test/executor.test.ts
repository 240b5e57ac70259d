import { exitCodeName } from "@prebake/cli";
import { describe, expect, it } from "vitest";
import { captureOutput } from "../src/executor/capture.ts";
import { commandLine, exitLine } from "../src/executor/task.ts";
import { workOf } from "../src/executor/work.ts";

describe("executor helpers", () => {
  it("appends what the user passed after -- (as Nx parsed it) to the target's command line", () => {
    expect(commandLine({ argv: ["deploy", "ci"] })).toEqual(["deploy", "ci"]);
    expect(
      commandLine({
        argv: ["deploy", "ci"],
        _: ["image-rebuild"],
        "dry-run": true,
        lint: false,
        parameter: ["ErlangVersion=27.2", "Other=a b"],
      }),
    ).toEqual([
      "deploy",
      "ci",
      "image-rebuild",
      "--dry-run",
      "--no-lint",
      "--parameter=ErlangVersion=27.2",
      "--parameter=Other=a b",
    ]);
  });

  it("a failed task's last line names the exit code and its meaning", () => {
    expect(exitLine(["deploy", "ci"], 7, exitCodeName(7))).toBe(
      "prebake deploy ci: exit code 7 (deploy failed)\n",
    );
    expect(exitLine(["lint", "ci"], 4, exitCodeName(4))).toBe("prebake lint ci: exit code 4 (validation)\n");
  });

  it("keeps the output of tasks running at the same time apart", async () => {
    const task = (name: string) =>
      captureOutput(async () => {
        for (let i = 0; i < 3; i++) {
          process.stdout.write(`${name} out ${i}\n`);
          await new Promise((resolve) => setTimeout(resolve, 1));
          process.stderr.write(`${name} err ${i}\n`);
        }
        return name;
      });
    const [a, b] = await Promise.all([task("a"), task("b")]);
    expect(a.value).toBe("a");
    expect(a.output).toBe("a out 0\na err 0\na out 1\na err 1\na out 2\na err 2\n");
    expect(b.output).toBe("b out 0\nb err 0\nb out 1\nb err 1\nb out 2\nb err 2\n");
  });
});

describe("what kind of work a task is", () => {
  it("deploys are deploys; a plain lint of stacks joins the lint group; the rest are builds", () => {
    expect(workOf(["deploy", "ci"])).toEqual({ kind: "deploys" });
    expect(workOf(["--env", "dev", "deploy", "ci"])).toEqual({ kind: "deploys" });
    expect(workOf(["lint", "ci"])).toEqual({ kind: "builds", lints: ["ci"] });
    expect(workOf(["push", "erlang-otp"])).toEqual({ kind: "builds" });
    expect(workOf(["render", "ci"])).toEqual({ kind: "builds" });
  });

  it("a lint with options of its own runs alone, as asked", () => {
    expect(workOf(["lint", "ci", "--json"])).toEqual({ kind: "builds" });
    expect(workOf(["--json", "lint", "ci"])).toEqual({ kind: "builds" });
    expect(workOf(["lint"])).toEqual({ kind: "builds" });
  });
});
