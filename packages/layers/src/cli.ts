import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandRegistrar, Context } from "@prebake/core";
import { ConfigError } from "@prebake/core/errors";
import { formatBytes, formatDuration } from "@prebake/core/format";
import { type Command, Option } from "commander";

// A registrar loads nothing a command's work needs (pip, the Docker and Lambda clients): the build is
// imported when a command runs, so `prebake --help` stays light (packages/cli/src/registrars.ts).
import { ARCHITECTURES, type Architecture, PYTHON_RUNTIMES } from "./runtimes.ts";

/** `prebake layer build|validate|publish`. */
export const registerLayerCommands: CommandRegistrar = (program, getContext) => {
  const layer = program
    .command("layer")
    .description("Build, validate and publish Python Lambda layers that import on Lambda's Linux")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake layer build common-utils\n  prebake layer publish common-utils --update-functions",
    );
  registerBuild(layer, getContext);
  registerValidate(layer, getContext);
  registerPublish(layer, getContext);
};

/** `prebake layer build`. */
function registerBuild(layer: Command, getContext: () => Context): void {
  layer
    .command("build")
    .description(
      "Install layers/<name>/layer.yaml's requirements with pip for Lambda's platform (manylinux wheels for the\n" +
        "target Python and CPU) in the python-layer image, add the layer's own code, slim it, zip it deterministically,\n" +
        "validate every binary and import every top-level package in a runtime-matching container.",
    )
    .argument("<name>", "layer name: the folder layers/<name> holding layer.yaml")
    .option("--force", "rebuild even when the inputs equal the last build's")
    .option("--debug", "print pip's full (verbose) output")
    .option(
      "--skip-smoke-test",
      "do not import-test the layer in a container (e.g. an arm64 layer on an x86_64 engine)",
    )
    .option(
      "--strict",
      "fail (exit 4) when a module's cold import passes layer.yaml's budget.coldStartMs, or a requirement has no --hash",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake layer build common-utils\n  prebake layer build common-utils --force --debug\n  prebake --json layer build common-utils\n\n" +
        "Writes dist/layers/<name>/<layer>.zip. Exit codes: 3 bad layer.yaml, 4 validation failed, 5 no Docker engine, 8 pip failed.",
    )
    .action(
      async (
        name: string,
        opts: { force?: boolean; debug?: boolean; skipSmokeTest?: boolean; strict?: boolean },
      ) => {
        const { layerRunResult, releaseLayer } = await import("./release.ts");
        const ctx = getContext();
        const results = await releaseLayer(ctx, name, {
          force: opts.force,
          debug: opts.debug,
          strict: opts.strict,
          smokeTest: !opts.skipSmokeTest,
          publish: false,
        });
        ctx.out.result(layerRunResult("layer build", results));
      },
    );
}

/** `prebake layer validate`. */
function registerValidate(layer: Command, getContext: () => Context): void {
  layer
    .command("validate")
    .description(
      "Check a layer zip before publishing, on any OS: python/ layout, not empty, unzipped size against Lambda's 250 MB,\n" +
        "and for every .so its CPU, the GLIBC_x.y versions it needs against the runtime's glibc (2.26 for python3.11,\n" +
        "2.34 for 3.12+), the GLIBCXX/CXXABI versions it needs against the runtime's libstdc++ (GCC 7.3 for python3.11,\n" +
        "GCC 11 for 3.12+), its CPython ABI tag, and wheels built for macOS, Windows or musl.",
    )
    .argument("<zip>", "path of the layer zip")
    .addOption(
      new Option("--python <versions...>", "target Python version(s)")
        .choices(Object.keys(PYTHON_RUNTIMES))
        .default(["3.11"]),
    )
    .addOption(
      new Option("--arch <arch>", "target architecture").choices([...ARCHITECTURES]).default("x86_64"),
    )
    .option("--other-mb <mb>", "unzipped MB the functions also carry (their other layers and code)", "0")
    .option("--warn-at <percent>", "warn when the total passes this share of 250 MB", "80")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake layer validate dist/layers/common-utils/common-utils.zip --python 3.11 --arch x86_64\n" +
        "  prebake layer validate layer.zip --python 3.12 3.13 --arch arm64 --other-mb 40\n\n" +
        "Exit code 4 when the layer would not import on Lambda; the message names the file and what it needs.",
    )
    .action(
      async (
        zip: string,
        opts: { python: string[]; arch: Architecture; otherMb: string; warnAt: string },
      ) => {
        const ctx = getContext();
        const zipPath = resolve(zip);
        if (!existsSync(zipPath))
          throw new ConfigError("no such file", {
            where: zip,
            fix: "build it with prebake layer build <name>",
          });
        const otherMb = Number(opts.otherMb);
        const warnAt = Number(opts.warnAt);
        if (!Number.isFinite(otherMb) || otherMb < 0)
          throw new ConfigError("must be a number of MB", { where: "--other-mb" });
        if (!(warnAt > 0 && warnAt <= 100))
          throw new ConfigError("must be a percentage (1-100)", { where: "--warn-at" });
        const { validateLayerZip } = await import("./release.ts");
        const report = await validateLayerZip(ctx, zipPath, {
          pythonVersions: opts.python,
          arch: opts.arch,
          otherBytes: Math.round(otherMb * 1024 * 1024),
          warnAtPercent: warnAt,
        });
        ctx.out.result({ command: "layer validate", zip: zipPath, valid: true, ...report });
      },
    );
}

/** `prebake layer publish`. */
function registerPublish(layer: Command, getContext: () => Context): void {
  layer
    .command("publish")
    .description(
      "Build, validate, import-test and publish the layer with PublishLayerVersion (through S3 over 50 MB). The zip's\n" +
        "sha256 is recorded in the layer version's description: when a version with the same hash exists, nothing is\n" +
        "published. Writes dist/layers/<name>.json (ARN, version, hash, sizes).",
    )
    .argument("<name>", "layer name: the folder layers/<name> holding layer.yaml")
    .option("--force", "rebuild and publish a new version even when one with the same hash exists")
    .option("--update-functions", "point functions that use an older version of this layer at the new one")
    .option("--debug", "print pip's full (verbose) output")
    .option("--skip-smoke-test", "do not import-test the layer in a container")
    .option(
      "--strict",
      "fail (exit 4) when a module's cold import passes layer.yaml's budget.coldStartMs, or a requirement has no --hash",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake layer publish common-utils\n  prebake layer publish common-utils --update-functions\n" +
        "  prebake --profile aws layer publish common-utils --force --debug\n\n" +
        "Exit codes: 3 bad layer.yaml, 4 validation failed, 5 Docker/AWS unavailable, 6 credentials, 8 pip failed.",
    )
    .action(
      async (
        name: string,
        opts: {
          force?: boolean;
          updateFunctions?: boolean;
          debug?: boolean;
          skipSmokeTest?: boolean;
          strict?: boolean;
        },
      ) => {
        const { layerRunResult, releaseLayer } = await import("./release.ts");
        const ctx = getContext();
        const results = await releaseLayer(ctx, name, {
          force: opts.force,
          strict: opts.strict,
          debug: opts.debug,
          updateFunctions: opts.updateFunctions,
          smokeTest: !opts.skipSmokeTest,
          publish: true,
        });
        for (const r of results) {
          ctx.out.info(
            `${r.build.layerName}: ${r.publish?.published ? "published" : "unchanged"} ${r.publish?.layerVersionArn} ` +
              `(${formatBytes(r.build.zippedBytes)} zip, ${formatBytes(r.build.unzippedBytes)} unzipped, build ${formatDuration(r.build.durationMs)})`,
          );
        }
        ctx.out.result(layerRunResult("layer publish", results));
      },
    );
}
