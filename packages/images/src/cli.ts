import type { CommandRegistrar, Context } from "@prebake/core";
import { ConfigError, isPrebakeError } from "@prebake/core/errors";
import { formatBytes } from "@prebake/core/format";
import { collect } from "@prebake/core/options";
import { Option } from "commander";
import { registerImagesCheck } from "./check-cli.ts";
import { shortDigest } from "./digest.ts";
import { registerImagesOutdated } from "./outdated-cli.ts";
import type { ImageOptions, ImageResult } from "./release.ts";

// A registrar loads nothing a command's work needs (the Docker client, the SDK's ECR client): they
// are imported when the command runs, so `prebake --help` stays light (packages/cli/src/registrars.ts).

interface ImageCommandOptions {
  version?: string;
  allVersions?: boolean;
  force?: boolean;
  buildArg: string[];
}

async function versionsOf(ctx: Context, name: string, opts: ImageCommandOptions) {
  const [{ imagesDir, loadImageDefinition, resolveVersion }, { parseBuildArgOptions }] = await Promise.all([
    import("./definition.ts"),
    import("./plan.ts"),
  ]);
  const def = loadImageDefinition(imagesDir(ctx.config.rootDir), name);
  const versions = opts.allVersions
    ? Object.keys(def.versions)
    : [resolveVersion(def, ctx.config.profile.kind, opts.version)];
  const options: ImageOptions = {
    force: opts.force ?? false,
    buildArgs: parseBuildArgOptions(opts.buildArg),
  };
  return { def, versions, options };
}

function emit(ctx: Context, results: ImageResult[], all: boolean): void {
  ctx.out.result(all ? results : results[0]);
}

const addImageOptions = (cmd: ReturnType<import("commander").Command["command"]>) =>
  cmd
    .option("--version <version>", "the version line to build (default: the definition's defaultVersion)")
    .addOption(
      new Option("--all-versions", "every version line in the definition, in order").conflicts("version"),
    )
    .option("--force", "rebuild even when an image with this content hash exists (layer cache still used)")
    .option(
      "--build-arg <KEY=VALUE>",
      "override a build arg for this run, e.g. a source mirror (repeatable; part of the content hash)",
      collect,
      [],
    );

/** build-image, push and images: the image commands of the prebake CLI. */
export const registerImageCommands: CommandRegistrar = (program, getContext) => {
  addImageOptions(
    program
      .command("build-image")
      .summary("build an image into the local engine (skipped when its content hash is built)")
      .argument("<name>", "image definition: the folder name under images/")
      .description(
        "build an image into the local Docker engine; skipped when an image with the same content hash " +
          "(Dockerfile, context files, build args, labels, platform, base image id) is already built",
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake build-image erlang-otp\n  prebake build-image erlang-otp --version 26.2.5 --force\n" +
        "  prebake build-image erlang-otp --build-arg OTP_URL=http://127.0.0.1:8000/otp_src_27.1.tar.gz",
    )
    .action(async (name: string, opts: ImageCommandOptions) => {
      const { buildImageVersion } = await import("./release.ts");
      const ctx = getContext();
      const { def, versions, options } = await versionsOf(ctx, name, opts);
      const results: ImageResult[] = [];
      for (const v of versions) results.push(await buildImageVersion(ctx, def, v, options));
      emit(ctx, results, Boolean(opts.allVersions));
    });

  addImageOptions(
    program
      .command("push")
      .summary("build if needed and push an image; writes dist/images/<name>-<version>.json")
      .argument("<name>", "image definition: the folder name under images/")
      .description(
        "build if needed and push an image: reconciles the ECR repository (scan on push, AES256, tag " +
          "immutability, lifecycle policy after an in-use safety check), pushes <version>-<hash12>, then " +
          "moves <version> (and latest, for the default version only), and writes " +
          "dist/images/<name>-<version>.json. Nothing is built or pushed when the registry already has the content hash.",
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake push erlang-otp\n  prebake push python-layer --all-versions --json\n" +
        "  prebake --profile aws push erlang-otp --version 27.1",
    )
    .action(async (name: string, opts: ImageCommandOptions) => {
      const [{ pushImageVersion }, { resolveRegistry }] = await Promise.all([
        import("./release.ts"),
        import("./target.ts"),
      ]);
      const ctx = getContext();
      const { def, versions, options } = await versionsOf(ctx, name, opts);
      const target = await resolveRegistry(ctx);
      const results: ImageResult[] = [];
      for (const v of versions) results.push(await pushImageVersion(ctx, def, v, options, target));
      emit(ctx, results, Boolean(opts.allVersions));
    });

  const images = program
    .command("images")
    .description("list the image definitions under images/, their version lines, and what was last pushed")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake images\n  prebake images --json\n  prebake images check erlang-otp\n  prebake images outdated",
    )
    .action(() => listImages(getContext()));
  registerImagesCheck(images, getContext);
  registerImagesOutdated(images, getContext);
};

/** `prebake images`: every definition's version lines and what was last pushed (the lenient read). */
async function listImages(ctx: Context): Promise<void> {
  const [{ defaultVersionFor, imagesDir, listImageNames, loadImageDefinition }, { readImageManifest }] =
    await Promise.all([import("./definition.ts"), import("./manifest.ts")]);
  const dir = imagesDir(ctx.config.rootDir);
  const rows: Record<string, unknown>[] = [];
  let firstError: unknown;
  let invalid = 0;
  for (const name of listImageNames(dir)) {
    let def: ReturnType<typeof loadImageDefinition>;
    try {
      def = loadImageDefinition(dir, name);
    } catch (err) {
      // List the valid ones anyway; the invalid one is named and fails the command at the end.
      ctx.out.warn(isPrebakeError(err) ? err.toLine() : String(err));
      firstError ??= err;
      invalid++;
      continue;
    }
    for (const version of Object.keys(def.versions)) {
      const m = readImageManifest(ctx.config.rootDir, name, version);
      rows.push({
        name,
        version,
        default: version === defaultVersionFor(def, ctx.config.profile.kind),
        repository: def.repository,
        digest: m?.digest,
        uri: m?.uri,
        sizeBytes: m?.sizeBytes,
        pushedAt: m?.pushedAt,
      });
    }
  }
  ctx.out.table(
    ["image", "version", "repository", "pushed", "size", "digest"],
    rows.map((r) => [
      String(r.name),
      `${r.version}${r.default ? " (default)" : ""}`,
      String(r.repository),
      r.pushedAt ? String(r.pushedAt).slice(0, 19).replace("T", " ") : "never",
      typeof r.sizeBytes === "number" ? formatBytes(r.sizeBytes) : "-",
      r.digest ? `${shortDigest(String(r.digest))}…` : "-",
    ]),
  );
  // Not recorded as a run result: listing is not work a pipeline did.
  if (ctx.out.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  if (firstError) {
    throw new ConfigError(`${invalid} image definition(s) are invalid (see the warnings above)`, {
      where: "images/",
      fix: "correct the named fields",
    });
  }
}
