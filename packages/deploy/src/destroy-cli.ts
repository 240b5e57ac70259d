import type { CommandRegistrar } from "@prebake/core";

/** `prebake destroy [stack...]`: the environment's stacks taken down (destroy.ts). */
export const registerDestroyCommand: CommandRegistrar = (program, getContext) => {
  program
    .command("destroy")
    .summary("delete an environment's stacks in reverse dependency order (retained resources stay)")
    .argument("[stack...]", "stack folders (default: every stack under stacks/)")
    .description(
      "delete the CloudFormation stacks of the environment (--env; without it the profile's default " +
        "environment) in reverse Metadata.Prebake.After order, following each delete's events with the " +
        "stack deadline (profiles.<name>.timeouts), and remove their outputs under dist/. The plan comes " +
        "first: per stack, the resources deleted (stateful ones flagged in a dry run or a protected " +
        "environment) and those the template keeps (DeletionPolicy Retain, RetainExceptOnCreate, Snapshot), " +
        "with their physical ids. Images and layer versions are not in any stack (prebake push and layer " +
        "publish own them): destroy leaves them, as other environments' stacks may run them; a stack that " +
        "owns an ECR repository or a layer version without retaining it is refused. A protected " +
        "environment needs approval: a terminal's yes, or --approve.",
    )
    .option("--dry-run", "show what would be deleted and kept; delete nothing (read-only AWS calls)")
    .option("--approve", "a protected environment: delete without asking (needed without a terminal)")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake --env dev destroy --dry-run\n  prebake --env dev destroy\n" +
        "  prebake --env dev destroy ci            # one stack (the stacks after it are not touched)\n" +
        "  prebake --env prod destroy --approve    # a protected environment, without a terminal\n" +
        "\nExit codes: 3 unknown stack or environment; 5 AWS unreachable or a delete did not finish in time;\n" +
        "6 credentials rejected; 7 a delete failed (root cause printed, e.g. a bucket that is not empty);\n" +
        "9 refused: a protected environment's delete not approved, or a stack that would delete an ECR\n" +
        "repository or a layer version (nothing is deleted).",
    )
    .action(async (stacks: string[], opts: { dryRun?: boolean; approve?: boolean }) => {
      const { destroy } = await import("./destroy.ts");
      const ctx = getContext();
      const result = await destroy(ctx, {
        stacks,
        dryRun: opts.dryRun ?? false,
        approve: opts.approve ?? false,
      });
      ctx.out.result(result);
    });
};
