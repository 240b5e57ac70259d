import { join } from "node:path";
import { type CommandRegistrar, ValidationError } from "@prebake/core";
import { formatFinding, runCfnLint } from "./lint.ts";
import {
  checkStack,
  type RenderResult,
  renderStack,
  resolveStackNames,
  stackTemplatePath,
} from "./render.ts";

export const registerStackCommands: CommandRegistrar = (program, getContext) => {
  program
    .command("render")
    .summary("render stacks/<name>/stack.ts to stack.yaml (or --check that the committed file is fresh)")
    .description(
      "Render each stacks/<name>/stack.ts to stacks/<name>/stack.yaml: validated first (dangling !Ref, a CodeBuild\n" +
        "project without a role, bad parameter constraints), written atomically, untouched when unchanged.",
    )
    .argument("[stacks...]", "stack folder names under stacks/ (default: all)")
    .option("--check", "do not write: fail (exit 4) when a committed stack.yaml differs from a fresh render")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake render\n  prebake render ci --check\n  npx nx run-many -t render",
    )
    .action(async (names: string[], opts: { check?: boolean }) => {
      const { config, out } = getContext();
      const results: RenderResult[] = [];
      for (const name of resolveStackNames(config.rootDir, names)) {
        const r = opts.check
          ? await checkStack(config.rootDir, name)
          : await renderStack(config.rootDir, name);
        out.success(`${r.file}: ${r.action}`);
        results.push(r);
      }
      out.result(results);
    });

  program
    .command("lint")
    .summary("cfn-lint the rendered templates; any error or warning fails (exit 4)")
    .description(
      "Run the official cfn-lint over stacks/<name>/stack.yaml and print every finding as\n" +
        "`file:line: rule: message`. Errors and warnings fail the command; cfn-lint is installed with pip if missing.",
    )
    .argument("[stacks...]", "stack folder names under stacks/ (default: all)")
    .addHelpText("after", "\nExamples:\n  prebake lint\n  prebake lint ci --json\n  npx nx run-many -t lint")
    .action((names: string[]) => {
      const { config, out } = getContext();
      const stacks = resolveStackNames(config.rootDir, names);
      const files = stacks.map((s) => stackTemplatePath(config.rootDir, s));
      const findings = runCfnLint(files, config.rootDir, (m) => out.info(m));
      for (const f of findings) (f.level === "info" ? out.info : out.warn).call(out, formatFinding(f));
      out.result({ stacks, findings });
      const failing = findings.filter((f) => f.level !== "info");
      if (failing.length > 0) {
        throw new ValidationError(
          `cfn-lint reported ${failing.length} finding(s); first: ${formatFinding(failing[0]!)}`,
          {
            where: failing[0]!.file,
            fix: "fix the stack source and run `prebake render` again",
          },
        );
      }
      out.success(`cfn-lint: ${stacks.map((s) => join("stacks", s, "stack.yaml")).join(", ")} clean`);
    });
};
