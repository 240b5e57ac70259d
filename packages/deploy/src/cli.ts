import type { CommandRegistrar } from "@prebake/core";
import { ChangesPendingError, ConfigError } from "@prebake/core/errors";
import { formatDuration } from "@prebake/core/format";
import { collect } from "@prebake/core/options";
import { stackPaths } from "@prebake/core/paths";
import type { DeployResult } from "./deploy.ts";
import { registerDestroyCommand } from "./destroy-cli.ts";
import { registerPromoteCommand } from "./promote-cli.ts";
import { registerStatusCommand } from "./status-cli.ts";

interface DeployCommandOptions {
  dryRun?: boolean;
  fail?: boolean;
  approve?: boolean;
  parameter: string[];
  lint: boolean;
}

/** `--dry-run --fail`: exit 11 when any stack would change, after the whole dry run has been shown. */
export function pendingChanges(results: DeployResult[]): DeployResult[] {
  return results.filter((r) => r.action === "dry-run");
}

/** deploy: the stack commands of the prebake CLI (deploy, promote, status, destroy). */
export const registerDeployCommands: CommandRegistrar = (program, getContext) => {
  registerDeploy(program, getContext);
  registerPromoteCommand(program, getContext);
  registerStatusCommand(program, getContext);
  registerDestroyCommand(program, getContext);
};

const registerDeploy: CommandRegistrar = (program, getContext) => {
  const command = program.command("deploy");
  command
    .summary("deploy stacks: skip when unchanged, else change set, diff, execute, stream events")
    .argument("<stack...>", "stack name(s): folders under stacks/ (deployed in Metadata.Prebake.After order)")
    .description(
      "deploy stacks/<name>/stack.yaml as CloudFormation stack <project>-<name> (<project>-<env>-<name> with " +
        "--env <env>): cfn-lint, then skip when " +
        "template, parameters, tags and capabilities equal the deployed stack (two read-only calls, no change " +
        "set); otherwise create a change set, show the diff, execute it and stream the stack events. Outputs " +
        "go to dist/stacks/<name>.json (dist/<env>/stacks/<name>.json). A stack left in ROLLBACK_COMPLETE by a failed create is deleted and " +
        "created again. Parameters: --parameter > image manifest (Metadata.Prebake.ImageParameters) > the " +
        "project (Metadata.Prebake.ProjectParameter) > " +
        "environments.<env>.stacks.<name>.parameters > stacks.<name>.parameters > template default. In a " +
        "protected environment the image parameters keep the digests the stack runs: images reach it only " +
        "through `prebake promote`, and nothing executes before approval: the change set's full review " +
        "(every property, IAM statements added or removed, resource policies, security groups, stateful " +
        "resources replaced or deleted) is shown, then a terminal is asked; without a terminal --approve is " +
        "needed, else exit 9 and the change set is deleted.",
    )
    .option(
      "--dry-run",
      "create the change set, show its full review (diff, IAM and security groups, stateful replacements), delete it: nothing is executed",
    )
    .addOption(
      command
        .createOption("--fail", "with --dry-run: exit 11 when any stack would change (for CI gates)")
        .implies({
          dryRun: true,
        }),
    )
    .option(
      "--approve",
      "approve the change to a protected environment without asking (CI: after a reviewed --dry-run)",
    )
    .option(
      "--parameter <Key=Value>",
      "override a template parameter for this run (repeatable; one stack only)",
      collect,
      [],
    )
    .option("--no-lint", "skip cfn-lint (by default its errors block the deploy before any AWS call)")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake deploy ci\n  prebake deploy ci --dry-run\n  prebake --env dev deploy ci\n" +
        "  prebake --env prod deploy ci --dry-run --fail   # CI: exit 11 when prod would change\n" +
        "  prebake --env prod deploy ci --approve          # after the reviewed dry run\n" +
        "  prebake deploy ci --parameter ErlangVersion=26.2.5\n  prebake deploy image-rebuild ci --json\n" +
        "\nExit codes: 3 unknown stack or environment / bad or missing parameter, 4 cfn-lint errors, 5 AWS\n" +
        "endpoint unreachable, 6 credentials rejected or not for the environment's account, 7 deploy failed\n" +
        "(root cause printed) or stack stuck, 9 a stale image record, a protected environment's stack that\n" +
        "runs no promoted image yet, or a protected environment's change not approved (nothing executed),\n" +
        "11 --dry-run --fail: changes are pending (not a failure).",
    )
    .action(async (names: string[], opts: DeployCommandOptions) => {
      // Loaded when a deploy runs: a registrar loads no SDK client (packages/cli/src/registrars.ts).
      const [{ lintTemplates }, { deployStack }, { orderStacks, stackAfter }, { parseParameterOptions }] =
        await Promise.all([
          import("@prebake/stack"),
          import("./deploy.ts"),
          import("./order.ts"),
          import("./parameters.ts"),
        ]);
      const ctx = getContext();
      const overrides = parseParameterOptions(opts.parameter);
      if (Object.keys(overrides).length > 0 && names.length > 1) {
        throw new ConfigError("--parameter applies to one stack at a time", {
          where: "--parameter",
          fix: "deploy the stacks one by one, or put the values in prebake.config.yaml stacks.<name>.parameters",
        });
      }
      const order = orderStacks([...new Set(names)], (n) => stackAfter(ctx.config.rootDir, n));
      // One cfn-lint process for every stack named; each deploy then reads its own findings.
      if (opts.lint && order.length > 1) {
        await lintTemplates(
          ctx.config.rootDir,
          order.map((n) => stackPaths.template(ctx.config.rootDir, n)),
        );
      }
      const results: DeployResult[] = [];
      for (const name of order) {
        results.push(
          await deployStack(ctx, name, {
            dryRun: opts.dryRun ?? false,
            approve: opts.approve ?? false,
            parameters: overrides,
            lint: opts.lint,
          }),
        );
      }
      if (results.length > 1) {
        ctx.out.table(
          ["stack", "action", "changes", "time", "AWS calls"],
          results.map((r) => [
            r.stack,
            r.action,
            String(r.changes.length),
            formatDuration(r.durationMs),
            String(r.apiCalls),
          ]),
        );
      }
      ctx.out.result(results.length === 1 ? results[0] : results);
      const pending = pendingChanges(results);
      if (opts.fail && pending.length > 0) {
        throw new ChangesPendingError(
          `${pending.length} stack(s) would change: ${pending.map((r) => `${r.stackName} (${r.changes.length} resource change(s))`).join(", ")}`,
          {
            where: "prebake deploy --dry-run --fail",
            fix: "review the changes above, then deploy them (a protected environment: with --approve)",
          },
        );
      }
    });
};
