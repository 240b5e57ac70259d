import type { Context } from "@prebake/core";
import type { Command } from "commander";

/** Lines under 80 columns: commander wraps longer ones mid-sentence in a plain terminal. */
const OUTDATED_HELP = [
  "Is a rebuild due? For every version line whose moving tag is in the",
  "registry, compare the base the image was built on (its label",
  "org.opencontainers.image.base.digest: the base id its content hash used)",
  "with the base's id now:",
  "  local profile  the base's image id in the local engine",
  "  aws profile    the base's registry digest (public ECR or ECR), asked",
  "                 without pulling",
  "States: up to date; base changed (due); content changed (due: the current",
  "content hash is not in the registry, so the definition changed since the",
  "push); not pushed (listed, not due).",
  "",
  "A rebuild is `prebake push <name> --all-versions` (or, in AWS,",
  "`prebake codebuild rebuild-images`): it pushes only the lines whose content",
  "hash changed. The image-rebuild stack runs it on a schedule",
  "(RebuildSchedule, weekly by default).",
  "",
  "Exit codes: 0 nothing due; 10 a rebuild is due (not a failure: CI acts on",
  "it); 3 unknown image; 5 engine or registry not answering.",
].join("\n");

/** `prebake images outdated [name...]`: exit 10 when a pushed image's base moved. */
export function registerImagesOutdated(images: Command, getContext: () => Context): void {
  images
    .command("outdated")
    .summary("exit 10 when a pushed image's base has moved (a rebuild is due)")
    .argument("[names...]", "image definitions (default: all under images/)")
    .description(OUTDATED_HELP)
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  prebake images outdated                  # every image under images/\n" +
        "  prebake --json images outdated erlang-otp\n" +
        "  # CI, weekly: rebuild only when a base moved\n" +
        "  prebake --profile aws images outdated\n" +
        "  case $? in 0) ;; 10) prebake --profile aws codebuild rebuild-images ;; *) exit 1 ;; esac",
    )
    .action(async (names: string[]) => {
      const { findOutdatedImages, reportOutdated } = await import("./outdated.ts");
      const ctx = getContext();
      reportOutdated(ctx, await findOutdatedImages(ctx, names));
    });
}
