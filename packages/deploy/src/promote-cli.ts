import type { CommandRegistrar } from "@prebake/core";

/** `prebake promote <from-env> <to-env> [stack...]`. */
export const registerPromoteCommand: CommandRegistrar = (program, getContext) => {
  program
    .command("promote")
    .summary("deploy one environment's tested image digests to another (never rebuilt, never latest)")
    .argument(
      "<from-env>",
      "the environment whose stacks run the tested images (`default`: the profile's own)",
    )
    .argument("<to-env>", "the environment to deploy them to")
    .argument("[stack...]", "stack folders (default: every stack with Metadata.Prebake.ImageParameters)")
    .description(
      "read the image parameters (digest-pinned uris) of <from-env>'s stacks, check each digest is still in the " +
        "registry <to-env> pulls from and that no lifecycle rule is about to expire or archive it, show the " +
        "per-stack, per-image diff, then deploy <to-env>'s stacks with exactly those digests (the rest of " +
        "each deploy is `prebake deploy`: template, parameters and tags from this checkout and <to-env>'s " +
        "configuration). Each target stack is tagged prebake:origin:<Parameter> = <from-env>@<digest>, " +
        "which `prebake status` shows. Images are never built or pushed here. A protected <to-env> changes only " +
        "after approval: each stack's change set is reviewed (diff, IAM, security groups, stateful " +
        "replacements), then a terminal is asked, or --approve given; otherwise exit 9, change set deleted.",
    )
    .option("--dry-run", "show the diff and run every check, deploy nothing (read-only AWS calls only)")
    .option("--no-lint", "skip cfn-lint before each deploy")
    .option(
      "--approve",
      "a protected <to-env>: approve each stack's reviewed change without asking (needed without a terminal)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake promote dev prod --dry-run\n  prebake promote dev prod\n" +
        "  prebake promote dev prod ci --json\n  prebake promote default dev   # the profile's own stacks to dev\n" +
        "\nExit codes: 3 unknown environment or stack, an environment whose profile is missing, a protected\n" +
        "environment on the emulator; 5 AWS or the registry unreachable; 6 credentials rejected, or they are not\n" +
        "for the target environment's account; 7 a deploy failed (root cause printed); 9 refused: a source stack\n" +
        "is missing or runs an image not pinned by digest, a digest is gone from the registry, archived, or\n" +
        "about to be expired by its lifecycle policy (nothing is deployed), or a protected environment's change\n" +
        "was not approved (its change set deleted, nothing executed).",
    )
    .action(
      async (
        from: string,
        to: string,
        stacks: string[],
        opts: { dryRun?: boolean; lint: boolean; approve?: boolean },
      ) => {
        const { promote } = await import("./promote.ts");
        const ctx = getContext();
        const result = await promote(ctx, from, to, {
          stacks,
          dryRun: opts.dryRun ?? false,
          lint: opts.lint,
          approve: opts.approve ?? false,
        });
        ctx.out.result(result);
      },
    );
};
