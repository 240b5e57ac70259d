import type { Context } from "@prebake/core";
import type { Command } from "commander";
import { findOutdatedImages, reportOutdated } from "./outdated.ts";

/** `prebake images outdated [name...]`: exit 10 when a pushed image's base moved. */
export function registerImagesOutdated(images: Command, getContext: () => Context): void {
  images
    .command("outdated")
    .summary("exit 10 when a pushed image's base has moved (a rebuild is due)")
    .argument("[names...]", "image definitions (default: all under images/)")
    .description(
      "For every pushed version line (its moving tag in the registry), compare the base id its content\n" +
        "hash used (recorded on the image as org.opencontainers.image.base.digest) with the base's id now:\n" +
        "local profile, the base's id in the engine; aws profile, the base's registry digest (public ECR or\n" +
        "ECR, asked without pulling). Also due: the current content hash is not in the registry (the\n" +
        "definition changed since the push). Lines never pushed are listed, not due.\n" +
        "Exit 0 nothing due, 10 a rebuild is due (CI: run the rebuild), 5 engine or registry not answering.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake images outdated\n  prebake --json images outdated erlang-otp\n" +
        "  prebake --profile aws images outdated; [ $? -eq 10 ] && prebake codebuild rebuild-images",
    )
    .action(async (names: string[]) => {
      const ctx = getContext();
      reportOutdated(ctx, await findOutdatedImages(ctx, names));
    });
}
