import type { Context } from "@prebake/core";
import { ValidationError } from "@prebake/core/errors";
import { formatBytes, formatDuration } from "@prebake/core/format";
import type { Command } from "commander";
import type { ImageCheck } from "./check.ts";
import { CHECKED_TOOLS } from "./check-facts.ts";

/** The report's lines, as printed (the same facts as the --json result). */
export function checkReportRows(check: ImageCheck): [string, string][] {
  const arch = check.singleArchitecture ? "single architecture" : `${check.platforms.length} architectures`;
  return [
    ["image", `${check.name} ${check.version} (${check.uri})`],
    ["platform", `${check.platforms.join(", ")} (${arch})`],
    ["tools", CHECKED_TOOLS.map((t) => `${t}: ${check.tools[t] ?? "missing"}`).join(", ")],
    [
      "size",
      `${formatBytes(check.compressedBytes)} compressed (pulled), ${formatBytes(check.uncompressedBytes)} uncompressed`,
    ],
    [
      "pull",
      `${formatDuration(check.emptyEnginePullMs)} into an empty engine (nothing cached: as CodeBuild's PROVISIONING pulls a custom image)`,
    ],
  ];
}

/** `prebake images check <name>`, a subcommand of `prebake images`. */
export function registerImagesCheck(images: Command, getContext: () => Context): void {
  images
    .command("check")
    .description(
      "report on a pushed image (the one `prebake push` recorded): architecture(s), sh/curl/wget/git, " +
        "sizes, the pull time into an empty engine, and the verdict for CodeBuild's Lambda compute",
    )
    .argument("<name>", "image definition: the folder name under images/")
    .option("--version <version>", "the version line (default: the definition's defaultVersion)")
    .option(
      "--work-dir <dir>",
      "where the throw-away engine keeps the pulled image (default: the OS temp folder)",
    )
    .option("--require-lambda", "exit 4 when the image is not ready for CodeBuild's Lambda compute")
    .addHelpText(
      "after",
      `
What it measures:
  The image is pulled into an EMPTY Docker engine, so no layer is cached, as at CodeBuild's
  PROVISIONING of a custom image: a throw-away dockerd with its own data-root, exec-root and
  socket, on a bridge of its own (pbkchk<hex>, a free 10.x /24, no iptables rules). The engine,
  its folder and its bridge are deleted afterwards (also on failure and Ctrl-C); the shared
  engine, its docker0 and its images are never touched. Needs root, dockerd and ip (iproute2).
  Lambda compute ready = single architecture AND curl or wget on the image's PATH.

Examples:
  prebake images check erlang-otp
  prebake images check python-layer --version 3.13 --json
  prebake images check erlang-otp --require-lambda

Exit codes: 3 unknown image or never pushed, 4 not Lambda-ready with --require-lambda,
  5 engine or registry unavailable (or not root), 9 the pushed record is stale (push again).`,
    )
    .action(async (name: string, opts: { version?: string; workDir?: string; requireLambda?: boolean }) => {
      const { checkImage } = await import("./check.ts");
      const ctx = getContext();
      ctx.out.step(`images check ${name}`);
      const check = await checkImage(ctx, name, { version: opts.version, workDir: opts.workDir });
      for (const [fact, value] of checkReportRows(check)) ctx.out.info(`${fact.padEnd(9)}${value}`);
      const verdict = check.lambdaCompute;
      if (verdict.ready) ctx.out.success("Lambda compute: ready (single architecture, curl or wget inside)");
      else ctx.out.warn(`Lambda compute: not ready: ${verdict.problems.join("; ")}`);
      ctx.out.result({ command: "images check", ...check });
      if (opts.requireLambda && !verdict.ready) {
        throw new ValidationError(
          `not ready for CodeBuild's Lambda compute: ${verdict.problems.join("; ")}`,
          {
            where: check.uri,
            fix: "build a single-architecture image with curl or wget installed, push it, check again",
          },
        );
      }
    });
}
