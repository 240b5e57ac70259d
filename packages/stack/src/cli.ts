import { join } from "node:path";
import type { CommandRegistrar, Context } from "@prebake/core";
import { ValidationError } from "@prebake/core/errors";
import { resolveStackNames, stackPaths } from "@prebake/core/paths";
import { CFN_LINT_PIN } from "./cfn-lint-version.ts";
import type { LintFinding } from "./lint.ts";
import type { RenderResult } from "./render.ts";

// A registrar loads nothing a command's work needs: `prebake --help` and a usage error read every
// registrar, so what render and lint use is imported when they run (packages/cli/src/registrars.ts).

export const registerStackCommands: CommandRegistrar = (program, getContext) => {
  program
    .command("render")
    .summary("render stacks/<name>/stack.ts to stack.yaml (or --check that the committed file is fresh)")
    .description(
      "Render each stacks/<name>/stack.ts to stacks/<name>/stack.yaml. The template is validated first " +
        "(dangling !Ref/!GetAtt/!Sub references, a CodeBuild project without a service role, parameters " +
        "without Type or with a pattern that does not compile, Metadata.Prebake naming unknown images or " +
        "stacks); on any problem nothing is written (exit 3). The file is written atomically, and left " +
        "untouched when the bytes are the same.",
    )
    .argument("[stacks...]", "stack folder names under stacks/ (default: all)")
    .option("--check", "do not write: fail (exit 4) when a committed stack.yaml differs from a fresh render")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  prebake render                  render every folder under stacks/",
        "  prebake render ci               render stacks/ci/stack.ts only",
        "  prebake render --check          exit 4 if a committed stack.yaml is stale (for CI)",
        "  prebake --json render --check   the same, with a JSON result per stack",
        "  npx nx run ci:render            the Nx target (cached)",
      ].join("\n"),
    )
    .action((names: string[], opts: { check?: boolean }) =>
      renderCommand(getContext(), names, opts.check ?? false),
    );

  program
    .command("lint")
    .summary("cfn-lint the rendered templates; any error or warning fails (exit 4)")
    .description(
      "Run the official cfn-lint over the rendered stacks/<name>/stack.yaml files and print every finding " +
        "as `file:line: rule: message`. Any error or warning fails the command (exit 4); informational " +
        "findings are printed only. The templates are linted by one cfn-lint process; a template that passed " +
        "before with the same cfn-lint is replayed from .prebake/lint-passed/. cfn-lint must be the pinned " +
        "version (pip install cfn-lint==" +
        CFN_LINT_PIN +
        "; PREBAKE_CFN_LINT_VERSION runs another on " +
        "purpose): a missing or different one is exit 5, nothing is installed.",
    )
    .argument("[stacks...]", "stack folder names under stacks/ (default: all)")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  prebake lint                    lint every stack",
        "  prebake lint image-rebuild      lint one stack",
        "  prebake --json lint             findings as JSON: { stacks, findings: [{ file, line, rule, level, message }] }",
        "  npx nx run-many -t render lint  render, then lint, every stack",
      ].join("\n"),
    )
    .action((names: string[]) => lintCommand(getContext(), names));
};

/** render, or with --check compare: every stack is looked at before failing, so one run names every stale file. */
async function renderCommand({ config, out }: Context, names: string[], check: boolean): Promise<void> {
  const { checkStack, renderStack } = await import("./render.ts");
  const results: RenderResult[] = [];
  const stale: ValidationError[] = [];
  for (const name of resolveStackNames(config.rootDir, names)) {
    try {
      const r = check ? await checkStack(config.rootDir, name) : await renderStack(config.rootDir, name);
      out.success(`${r.file}: ${r.action}`);
      results.push(r);
    } catch (err) {
      if (!check || !(err instanceof ValidationError)) throw err;
      stale.push(err);
      results.push({ stack: name, file: `stacks/${name}/stack.yaml`, action: "stale" });
    }
  }
  out.result(results);
  if (stale.length === 1) throw stale[0];
  if (stale.length > 1) {
    for (const err of stale) out.error(err.toLine());
    throw new ValidationError(`${stale.length} rendered templates are stale`, {
      where: stale.map((e) => e.where).join(", "),
      fix: "run `npx nx run-many -t render` and commit the results",
    });
  }
}

/** cfn-lint the rendered templates: any error or warning fails (exit 4). */
async function lintCommand({ config, out }: Context, names: string[]): Promise<void> {
  const { formatFinding, lintTemplates } = await import("./lint.ts");
  const stacks = resolveStackNames(config.rootDir, names);
  const files = stacks.map((s) => stackPaths.template(config.rootDir, s));
  const results = await lintTemplates(config.rootDir, files);
  const findings: LintFinding[] = [];
  for (const file of files) {
    const result = results.get(file)!;
    if (result instanceof Error) throw result;
    findings.push(...result.findings);
  }
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
}
