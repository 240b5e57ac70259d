import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import {
  BuildFailedError,
  ConfigError,
  type ContainerRuntime,
  type Context,
  containerRuntime,
  firstLine,
  formatDuration,
  isPrebakeError,
  type RunToCompletionContainer,
} from "@prebake/core";
import { extract, pack } from "tar-fs";
import { artifactsTarget, checkBaseDirectory } from "./artifacts.ts";
import { type Buildspec, runtimeVersionWarnings } from "./buildspec.ts";
import {
  ARTIFACTS_DIR,
  ARTIFACTS_SCRIPT_PATH,
  artifactsScript,
  buildShell,
  DRIVER_PATH,
  driverScript,
} from "./driver.ts";
import { codebuildVariables, resolveBuildspecSecrets, resolvedSourceVersion } from "./environment.ts";
import { type BuildFailure, type PhaseResult, PhaseTracker, splitMarker } from "./phases.ts";

export const SRC_DIR = "/codebuild/output/src/src";
/** Where CodeBuild's curated images keep the runtimes file that makes runtime-versions work. */
const RUNTIMES_FILE = "/codebuild/bootstrap/runtimes.yml";
/** Never copied into the build: too large to copy, and not part of a CodeBuild source anyway. */
const SOURCE_EXCLUDES = new Set(["node_modules", ".git", ".nx", ".prebake", "_build"]);
/** CodeBuild's default build timeout. */
export const DEFAULT_TIMEOUT_MINUTES = 60;

export interface LocalBuildOptions {
  image: string;
  spec: Buildspec;
  sourceDir: string;
  artifactsDir?: string | undefined;
  /** Project environment variables, then env file, then overrides: later wins. */
  env?: Record<string, string>;
  /** Variables whose values are secret (host AWS keys): in the build, and masked as *** in all output. */
  secretEnv?: Record<string, string>;
  privileged?: boolean;
  project?: string;
  computeType?: string | undefined;
  /** Where the image came from, for messages (default --image). */
  imageSource?: string;
  /** The build is stopped after this many minutes, as CodeBuild's timeout does (default 60). */
  timeoutMinutes?: number;
  /** A benchmark's run: carried into the result, so its history line (also a failed one) says so. */
  benchmark?: { name: string; variant: string };
}

export interface LocalBuildResult {
  /** A run, recorded in the history as codebuild-local. */
  kind: "codebuild-local";
  /** The project (`<stack>/<LogicalId>`), or "local" for a bare --image run. */
  project: string;
  /** The project's compute type, when the run is a project's (what the build would cost in CodeBuild). */
  computeType: string | undefined;
  status: "SUCCEEDED" | "FAILED";
  image: string;
  phases: PhaseResult[];
  failure: BuildFailure | undefined;
  artifacts: string | undefined;
  /** env.exported-variables with their values at the end of the build. */
  exportedVariables: Record<string, string>;
  durationMs: number;
  benchmark?: { name: string; variant: string };
}

/** The image in the engine, pulled when missing (a pushed manifest's uri). */
async function ensureImage(
  ctx: Context,
  runtime: ContainerRuntime,
  image: string,
  where: string,
): Promise<void> {
  if (await runtime.imageExists(image)) return;
  ctx.out.info(`pulling ${image}`);
  try {
    await runtime.pullImage(image);
  } catch (err) {
    throw new ConfigError(`image ${image} is neither in the engine nor pullable (${firstLine(err)})`, {
      where,
      fix: "push it first (prebake push <name>), pass --image with a local image, or log in to its registry",
    });
  }
}

/** The source folder as a tar rooted at /, with the generated scripts beside it. */
function sourceTar(sourceDir: string, spec: Buildspec): NodeJS.ReadableStream {
  return pack(sourceDir, {
    ignore: (name) =>
      name
        .slice(sourceDir.length + 1)
        .split("/")
        .some((part) => SOURCE_EXCLUDES.has(part)),
    map: (header) => {
      header.name = `${SRC_DIR.slice(1)}/${header.name}`;
      return header;
    },
    finalize: false,
    finish: (p) => {
      p.entry({ name: DRIVER_PATH.slice(1), mode: 0o755 }, driverScript(spec));
      p.entry({ name: ARTIFACTS_SCRIPT_PATH.slice(1), mode: 0o755 }, artifactsScript(spec));
      p.finalize();
    },
  });
}

/** Inputs checked before anything runs: the source folder, and artifact paths that stay in their folders. */
function checkInputs(
  ctx: Context,
  opts: LocalBuildOptions,
): { sourceDir: string; artifacts: string | undefined } {
  const sourceDir = resolve(opts.sourceDir);
  if (!existsSync(sourceDir))
    throw new ConfigError("source directory not found", { where: opts.sourceDir, fix: "check -s" });
  checkBaseDirectory(opts.spec, SRC_DIR);
  const artifacts =
    opts.artifactsDir && opts.spec.artifacts ? artifactsTarget(opts.spec, opts.artifactsDir) : undefined;
  for (const w of opts.spec.warnings) ctx.out.warn(w);
  if (opts.spec.notRunLocally.length > 0) {
    ctx.out.warn(
      `${opts.spec.file}: ${opts.spec.notRunLocally.join(", ")}: acted on by CodeBuild's service, not by a local run (commands run as the image's user)`,
    );
  }
  return { sourceDir, artifacts };
}

/** What the build sees: CODEBUILD_* variables, env.variables, resolved secrets, then overrides. Secrets are masked from here on. */
async function buildEnvironment(
  ctx: Context,
  opts: LocalBuildOptions,
  sourceDir: string,
  buildId: string,
): Promise<Record<string, string>> {
  const secrets = await resolveBuildspecSecrets(ctx, opts.spec);
  for (const value of Object.values(opts.secretEnv ?? {})) ctx.out.addSecret(value);
  return {
    ...codebuildVariables({
      buildId,
      srcDir: SRC_DIR,
      region: ctx.config.profile.region,
      accountId: ctx.config.profile.accountId,
      project: opts.project ?? "local",
      image: opts.image,
      sourceVersion: resolvedSourceVersion(sourceDir),
    }),
    ...opts.spec.env.variables,
    ...secrets,
    ...(opts.env ?? {}),
    ...(opts.secretEnv ?? {}),
  };
}

/** Start the build and follow its lines: the driver's markers drive the tracker, the rest is printed. */
async function followBuild(
  ctx: Context,
  container: RunToCompletionContainer,
  opts: LocalBuildOptions,
  tracker: PhaseTracker,
): Promise<{ exitCode: number; timedOut: boolean }> {
  const onLine = (line: string) => {
    const { output, marker } = splitMarker(line);
    if (output !== undefined) ctx.out.info(output);
    if (marker !== undefined) {
      const event = tracker.marker(marker, Date.now());
      if (event) ctx.out.step(event);
    }
  };
  try {
    return await container.run(onLine, {
      timeoutMs: (opts.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) * 60_000,
    });
  } catch (err) {
    if (isPrebakeError(err)) throw err; // the engine did not answer

    const why = firstLine(err);
    const noShell = /executable file not found|no such file/i.test(why);
    throw new ConfigError(`cannot start the build in ${opts.image}: ${why}`, {
      where: noShell ? `${opts.spec.file}: env.shell` : "--image",
      fix: noShell
        ? `the image needs ${buildShell(opts.spec)} (CodeBuild's default shell on Linux is sh; env.shell: bash needs bash)`
        : "check the image and the Docker engine",
    });
  }
}

/** Copy the collected artifacts out of the container; getArchive roots the tar at the folder's own name. */
async function copyArtifacts(container: RunToCompletionContainer, target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  await container.copyOut(ARTIFACTS_DIR, (tar) =>
    pipeline(tar, extract(target, { map: (h) => ({ ...h, name: h.name.split("/").slice(1).join("/") }) })),
  );
}

function failureMessage(
  tracker: PhaseTracker,
  spec: Buildspec,
  exitCode: number,
  timeoutMinutes: number | undefined,
) {
  if (timeoutMinutes !== undefined)
    return `the build timed out after ${timeoutMinutes} min (CodeBuild's timeout)`;
  const failure = tracker.failure(spec);
  if (failure)
    return `phase ${failure.phase} failed: command \`${failure.command}\` exited ${failure.exitCode}${
      failure.endedShell
        ? " and ended the build's shell (later commands, finally and phases did not run)"
        : ""
    }`;
  if (tracker.missingArtifact) return `UPLOAD_ARTIFACTS failed: no file matches ${tracker.missingArtifact}`;
  return `the build exited ${exitCode}`;
}

/** Run a buildspec in an image, locally, with CodeBuild's semantics; never leaves a container behind. */
export async function runLocalBuild(ctx: Context, opts: LocalBuildOptions): Promise<LocalBuildResult> {
  const { out } = ctx;
  const started = Date.now();
  const runtime = containerRuntime(ctx);
  const { sourceDir, artifacts: artifactsTo } = checkInputs(ctx, opts);
  await ensureImage(ctx, runtime, opts.image, opts.imageSource ?? "--image");
  const suffix = randomBytes(4).toString("hex");
  const buildId = `${opts.project ?? "local"}:${suffix}`;
  const env = await buildEnvironment(ctx, opts, sourceDir, buildId);
  const container = await runtime.create({
    image: opts.image,
    namePrefix: "prebake-codebuild",
    cmd: [buildShell(opts.spec), DRIVER_PATH],
    env,
    workingDir: SRC_DIR,
    labels: { "prebake.codebuild.build-id": buildId, "prebake.codebuild.pid": String(process.pid) },
    networkMode: ctx.config.profile.kind === "local" ? "host" : "bridge",
    // CodeBuild's privileged mode exists so builds can run Docker. Locally the build gets the host
    // engine's socket instead (sibling containers): no kernel privileges are handed out, and it
    // works on engines that refuse privileged containers.
    binds: opts.privileged
      ? [`${ctx.config.profile.dockerSocket ?? "/var/run/docker.sock"}:/var/run/docker.sock`]
      : [],
  });
  try {
    for (const w of runtimeVersionWarnings(opts.spec, await container.hasPath(RUNTIMES_FILE))) out.warn(w);
    await container.putArchive(sourceTar(sourceDir, opts.spec), "/");
    out.step(`build ${buildId} in ${opts.image} (${buildShell(opts.spec)})`);
    const tracker = new PhaseTracker();
    const { exitCode, timedOut } = await followBuild(ctx, container, opts, tracker);
    const endedEarly = tracker.finish(Date.now(), exitCode);
    const succeeded = exitCode === 0 && !endedEarly && !timedOut;
    const artifacts = artifactsTo && succeeded ? artifactsTo : undefined;
    if (artifacts) await copyArtifacts(container, artifacts);

    const phases = tracker.results();
    out.table(
      ["phase", "status", "duration"],
      phases.map((p) => [p.name, p.status, formatDuration(p.durationMs)]),
    );
    // Values as the masker shows them: an exported secret is *** here too.
    const exportedVariables = Object.fromEntries(
      Object.entries(tracker.exported).map(([k, v]) => [k, out.mask(v)]),
    );
    for (const [k, v] of Object.entries(exportedVariables)) out.info(`exported ${k}=${v}`);
    const result: LocalBuildResult = {
      kind: "codebuild-local",
      project: opts.project ?? "local",
      computeType: opts.computeType,
      status: succeeded ? "SUCCEEDED" : "FAILED",
      image: opts.image,
      phases,
      failure: tracker.failure(opts.spec),
      artifacts,
      exportedVariables,
      durationMs: Date.now() - started,
      ...(opts.benchmark ? { benchmark: opts.benchmark } : {}),
    };
    if (!succeeded) {
      out.result(result);
      const what = failureMessage(
        tracker,
        opts.spec,
        exitCode,
        timedOut ? (opts.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) : undefined,
      );
      throw new BuildFailedError(what, { where: opts.spec.file, fix: "see the build output above" });
    }
    out.success(
      `build ${buildId} succeeded in ${formatDuration(result.durationMs)}${artifacts ? `; artifacts in ${artifacts}` : ""}`,
    );
    return result;
  } finally {
    await container.remove();
  }
}
