import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandRegistrar, Context } from "@prebake/core";
import { ConfigError, configErrorOf, type Problem, ValidationError } from "@prebake/core/errors";
import { parseIntegerOption } from "@prebake/core/options";
import type { Command } from "commander";
import type { Buildspec } from "./buildspec.ts";
import type { Compute } from "./lambda-compute.ts";

// A registrar loads nothing a command's work needs (the Docker client, the SDK's clients, the
// buildspec parser): each command imports them when it runs (packages/cli/src/registrars.ts).

interface RunOptions {
  project?: string;
  image?: string;
  buildspec?: string;
  source: string;
  artifacts?: string;
  envFile?: string;
  credentials?: boolean;
  privileged?: boolean;
  local?: boolean;
  timeout: string;
}

/**
 * AWS credentials of the host, passed into the build as CodeBuild would give it a role's. The keys
 * are secrets (masked as *** in everything printed or stored); profile and region are not.
 */
function hostCredentials(): { secret: Record<string, string>; plain: Record<string, string> } {
  const pick = (keys: string[]) =>
    Object.fromEntries(keys.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  return {
    secret: pick(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]),
    plain: pick(["AWS_PROFILE", "AWS_REGION"]),
  };
}

/** An env file's values this long or longer are masked in all output. */
const MIN_MASKED_LENGTH = 4;

const parseTimeout = (value: string) =>
  parseIntegerOption(value, {
    option: "--timeout",
    what: "a build timeout",
    min: 5,
    max: 2160,
    fix: "give whole minutes from 5 to 2160 (CodeBuild's range)",
  });

/** `prebake codebuild run`: a project's build (or any image + buildspec) locally; in the aws profile a project runs in CodeBuild. */
async function codebuildRun(ctx: Context, opts: RunOptions): Promise<void> {
  const [
    { environmentSegment },
    { loadBuildspec },
    { loadEnvFile },
    { deployedProjectName, projectSettings, resolveProjectImage },
    { runRemoteBuild },
    { runLocalBuild },
  ] = await Promise.all([
    import("@prebake/core"),
    import("./buildspec.ts"),
    import("./environment.ts"),
    import("./project.ts"),
    import("./remote.ts"),
    import("./runner.ts"),
  ]);
  const root = ctx.config.rootDir;
  if (opts.project && ctx.config.profile.kind === "aws" && !opts.local) {
    // The same target, remote in the aws profile: the deployed project runs in CodeBuild.
    const projectName = deployedProjectName(
      root,
      ctx.config.project,
      opts.project,
      environmentSegment(ctx.config.environment),
    );
    ctx.out.info(`aws profile: running ${projectName} in CodeBuild (--local to run it here)`);
    await runRemoteBuild(ctx, { projectName, image: opts.image, wait: true });
    return;
  }
  const stack = opts.project?.split("/")[0];
  const settings = opts.project
    ? projectSettings(root, opts.project, ctx.config.profile.kind, ctx.config.stacks[stack!]?.parameters)
    : undefined;
  // --image wins; otherwise the project's image (an image project's pushed, registry-confirmed uri).
  const projectImage = settings && !opts.image ? await resolveProjectImage(ctx, settings) : undefined;
  const image = opts.image ?? projectImage?.image;
  if (!image) {
    throw new ConfigError(`no image to build in${projectImage ? `: ${projectImage.imageSource}` : ""}`, {
      where: opts.project ? "--project" : "--image",
      fix: "pass --image, or push the project's image first",
    });
  }
  const timeoutMinutes = parseTimeout(opts.timeout);
  // CodeBuild's own default: buildspec.yml at the root of the source.
  const buildspecPath = opts.buildspec ?? settings?.buildspec ?? "buildspec.yml";
  const sourceDir = resolve(opts.source);
  const spec = loadBuildspec(resolve(sourceDir, buildspecPath), buildspecPath);
  if (settings)
    ctx.out.info(`project ${settings.project}: image ${image} (${projectImage?.imageSource ?? "--image"})`);
  const host = opts.credentials ? hostCredentials() : { secret: {}, plain: {} };
  const envFile = opts.envFile ? loadEnvFile(opts.envFile) : {};
  // An env file is where a local run's tokens go (CodeBuild would take them from Secrets Manager):
  // its values print as ***, as the host keys do. Values under four characters ("1", "dev") stay
  // readable: masking them would blank every such string in the log and hide nothing worth hiding.
  for (const value of Object.values(envFile)) if (value.length >= MIN_MASKED_LENGTH) ctx.out.addSecret(value);
  const result = await runLocalBuild(ctx, {
    image,
    spec,
    sourceDir,
    artifactsDir: opts.artifacts,
    env: {
      ...(settings?.env ?? {}),
      ...envFile,
      ...host.plain,
    },
    secretEnv: host.secret,
    timeoutMinutes,
    privileged: opts.privileged ?? settings?.privileged ?? false,
    project: settings?.project,
    computeType: settings?.computeType,
    imageSource: projectImage?.imageSource ?? "--image",
  });
  ctx.out.result(result);
}

export const registerCodeBuildCommands: CommandRegistrar = (program, getContext) => {
  const codebuild = program
    .command("codebuild")
    .summary("run CodeBuild builds locally in the same image (with CodeBuild's phase semantics)")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake codebuild run --project ci/HelloErlangAppProject -a dist/artifacts\n" +
        "  prebake --profile aws codebuild start ci/HelloErlangAppProject\n  prebake --profile aws codebuild rebuild-images",
    );
  registerRun(codebuild, getContext);
  registerStart(codebuild, getContext);
  registerRebuildImages(codebuild, getContext);
  registerBuildspecValidate(program, getContext);
};

/** `prebake codebuild run`. */
function registerRun(codebuild: Command, getContext: () => Context): void {
  codebuild
    .command("run")
    .summary("run a buildspec locally in a container, as CodeBuild would")
    .description(
      "Run a CodeBuild project of a rendered stack (--project ci/HelloErlangAppProject: its image, buildspec,\n" +
        "variables and privileged mode), or any --image + --buildspec, in the local Docker engine with\n" +
        "CodeBuild's semantics: source at CODEBUILD_SRC_DIR, CODEBUILD_* variables, env.variables,\n" +
        "parameter-store and secrets-manager resolved through the SDK, one shell for all commands\n" +
        "(sh, as CodeBuild on Linux, unless env.shell: bash), on-failure, finally, post_build after a\n" +
        "failed build, artifacts copied out. Prints every phase with its duration; --json gives the\n" +
        "phases, status, failing command and artifacts folder. parameter-store and secrets-manager values\n" +
        "and the -c keys print as ***. The container is removed afterwards, also on Ctrl-C, SIGTERM and SIGHUP.\n" +
        "Exit 0 build succeeded, 3 bad buildspec/input, 5 engine not answering, 8 build failed (or timed out),\n" +
        "130/143/129 stopped by a signal.",
    )
    .option("-p, --project <stack/LogicalId>", "a CodeBuild project of stacks/<stack>/stack.yaml")
    .option("-i, --image <image>", "image to build in (default: the project's image from dist/images)")
    .option(
      "-b, --buildspec <file>",
      "buildspec override, relative to the source directory (default: the project's, else buildspec.yml)",
    )
    .option("-s, --source <dir>", "source directory (CODEBUILD_SRC_DIR)", ".")
    .option("-a, --artifacts <dir>", "copy the buildspec's artifacts into this folder")
    .option("-e, --env-file <file>", "KEY=value lines added to the build environment")
    .option("-c, --credentials", "pass the host's AWS credentials (AWS_* variables) into the build")
    .option(
      "--privileged",
      "privileged mode (to run Docker in the build): the build gets the host engine's socket (and, in the " +
        "local profile, host networking), which is root on this machine: only for buildspecs you trust",
    )
    .option("--timeout <minutes>", "stop the build after this long, as CodeBuild's timeout does", "60")
    .option(
      "--local",
      "in the aws profile, still run locally (there, --project runs the deployed project in CodeBuild)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  prebake codebuild run --project ci/HelloErlangAppProject -a dist/artifacts\n" +
        "  prebake codebuild run -i prebake/erlang-otp:real-27 -b buildspecs/erlang-app.yml -e app.env -a /tmp/out\n" +
        "  prebake --json codebuild run -i prebake/debian:bookworm -b ci/buildspec.yml -e .env -c\n" +
        "  npx nx run hello-erlang:codebuild",
    )
    .action((opts: RunOptions) => codebuildRun(getContext(), opts));
}

/** `prebake codebuild start`. */
function registerStart(codebuild: Command, getContext: () => Context): void {
  codebuild
    .command("start")
    .summary("start a build of a deployed CodeBuild project and follow it (phases, logs)")
    .argument("<project>", "a CodeBuild project name, or <stack>/<LogicalId> of a rendered stack")
    .option("-i, --image <image>", "image override")
    .option("-b, --buildspec <file>", "buildspec override (its text is sent)")
    .option("--env <KEY=value...>", "environment variable overrides")
    .option("--no-wait", "print the build id and return (async mode)")
    .addHelpText(
      "after",
      "\nExamples:\n  prebake codebuild start ci/HelloErlangAppProject --profile aws\n  prebake codebuild start prebake-ci-hello-erlang --no-wait",
    )
    .action(
      async (
        project: string,
        opts: { image?: string; buildspec?: string; env?: string[]; wait: boolean },
      ) => {
        const [{ environmentSegment, parseKeyValueOptions }, { deployedProjectName }, { runRemoteBuild }] =
          await Promise.all([import("@prebake/core"), import("./project.ts"), import("./remote.ts")]);
        const ctx = getContext();
        const projectName = project.includes("/")
          ? deployedProjectName(
              ctx.config.rootDir,
              ctx.config.project,
              project,
              environmentSegment(ctx.config.environment),
            )
          : project;
        const env = parseKeyValueOptions(opts.env ?? [], "--env", "NAME=value");
        const result = await runRemoteBuild(ctx, {
          projectName,
          image: opts.image,
          buildspec: opts.buildspec ? readFileSync(resolve(opts.buildspec), "utf8") : undefined,
          env,
          wait: opts.wait,
        });
        if (!opts.wait) ctx.out.result(result);
      },
    );
}

/** `prebake codebuild rebuild-images`. */
function registerRebuildImages(codebuild: Command, getContext: () => Context): void {
  codebuild
    .command("rebuild-images")
    .summary("rebuild and push the images inside AWS, in the image-rebuild stack's CodeBuild project")
    .description(
      "For teams without a local Docker engine: uploads the committed tree (git archive HEAD) to the\n" +
        "image-rebuild stack's source bucket and runs its privileged project, whose buildspec runs\n" +
        "the same `prebake push` a laptop runs. Needs the image-rebuild stack deployed.",
    )
    .option("--no-wait", "print the build id and return")
    .addHelpText("after", "\nExample:\n  prebake codebuild rebuild-images --profile aws")
    .action(async (opts: { wait: boolean }) => {
      const { rebuildImagesInCodeBuild } = await import("./rebuild.ts");
      const ctx = getContext();
      const result = await rebuildImagesInCodeBuild(ctx, opts);
      if (!opts.wait) ctx.out.result(result);
    });
}

/** `prebake buildspec validate`. */
function registerBuildspecValidate(program: Command, getContext: () => Context): void {
  program
    .command("buildspec")
    .summary("validate buildspecs (version 0.2 and 0.1): every error with file:line:column, warnings")
    .addHelpText("after", "\nExample:\n  prebake buildspec validate buildspecs/*.yml")
    .command("validate")
    .argument("<files...>", "buildspec files")
    .option("--compute <mode>", "also check what this compute mode does not support: ec2 or lambda", "ec2")
    .description(
      "Validate buildspec files (version 0.2, and 0.1) strictly against CodeBuild's buildspec reference: " +
        "unknown keys and phases are errors; every error of every file is listed with file:line:column, " +
        "then one line that counts them (exit 3). What AWS deprecates passes with a warning naming the " +
        "replacement. --compute lambda also flags what CodeBuild's Lambda compute does not support " +
        "(on-failure, cache: errors, exit 4; docker and root-only commands: warnings).",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake buildspec validate buildspecs/*.yml\n  prebake buildspec validate --compute lambda buildspecs/python-layer.yml",
    )
    .action((files: string[], opts: { compute: string }) =>
      validateBuildspecs(getContext(), files, opts.compute),
    );
}

/**
 * `prebake buildspec validate`: every file read, every problem of every file reported (exit 3 when
 * any file has one), then the compute findings of the good files (exit 4).
 */
async function validateBuildspecs(ctx: Context, files: string[], computeOption: string): Promise<void> {
  const [{ loadBuildspec }, { COMPUTE_MODES, computeFindings, formatComputeFinding }] = await Promise.all([
    import("./buildspec.ts"),
    import("./lambda-compute.ts"),
  ]);
  const { out } = ctx;
  if (!(COMPUTE_MODES as readonly string[]).includes(computeOption)) {
    throw new ConfigError(`'${computeOption}' is not a compute mode`, {
      where: "--compute",
      fix: `use one of: ${COMPUTE_MODES.join(", ")}`,
    });
  }
  const compute = computeOption as Compute;
  const problems: Problem[] = [];
  const results = files.flatMap((f) => {
    let spec: Buildspec;
    try {
      spec = loadBuildspec(f);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(
        ...(err.problems.length > 0
          ? err.problems
          : [{ where: err.where ?? f, message: err.message, fix: err.fix }]),
      );
      return [];
    }
    for (const w of spec.warnings) out.warn(w);
    const findings = computeFindings(spec, compute);
    for (const finding of findings)
      (finding.level === "error" ? out.error : out.warn).call(out, formatComputeFinding(finding));
    if (!findings.some((x) => x.level === "error")) {
      out.success(
        `${f}: valid${compute === "lambda" ? " for Lambda compute" : ""} (${Object.keys(spec.phases).join(", ") || "batch only"})`,
      );
    }
    return [{ file: f, phases: Object.keys(spec.phases), warnings: spec.warnings, compute, findings }];
  });
  if (problems.length > 0) throw configErrorOf(problems);
  out.result(results);
  const errors = results.flatMap((r) => r.findings.filter((x) => x.level === "error"));
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more listed above)` : "";
    throw new ValidationError(`${errors[0]!.message}${more}`, {
      where: errors[0]!.where,
      fix: errors[0]!.fix,
    });
  }
}
