import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import {
  BuildFailedError,
  type CodeBuildLocalRun,
  ConfigError,
  type ContainerRuntime,
  type Context,
  containerRuntime,
  firstLine,
  formatDuration,
  isPrebakeError,
  type RunToCompletionContainer,
} from "@prebake/core";
import { type LocalPipIndexes, localPipIndexes } from "@prebake/layers/pip";
import { pack } from "tar-fs";
import { artifactSets, artifactTargets, checkBaseDirectory } from "./artifacts.ts";
import type { Buildspec } from "./buildspec.ts";
import { whereIn } from "./buildspec.ts";
import {
  CACHE_MOUNT,
  type CacheFolder,
  cacheFolders,
  cacheVolumeName,
  HASH_FILES_PATH,
  HASH_FILES_SCRIPT,
} from "./cache.ts";
import { buildShell, DRIVER_PATH, driverScript } from "./driver.ts";
import { codebuildVariables, resolveBuildspecSecrets, resolvedSourceVersion } from "./environment.ts";
import { localRunWarnings, refuseUnsupportedLocally } from "./local-support.ts";
import { type ArtifactOutput, collectOutputs, readContainerFile } from "./outputs.ts";
import { type BuildFailure, type PhaseResult, PhaseTracker, readMarker } from "./phases.ts";
import { printReportSummary, type ReportSummary, readReports } from "./reports.ts";
import { RUN_AS_SCRIPT, RUN_AS_SCRIPT_PATH } from "./run-as.ts";
import { RUNTIMES_FILE, runtimeCommands, runtimeVersionWarnings, withRuntimeCommands } from "./runtimes.ts";
import {
  placeSecondarySources,
  type SecondarySources,
  secondarySourceTar,
  secondarySourceVariables,
} from "./secondary-sources.ts";

export const SRC_DIR = "/codebuild/output/src/src";
/** Never copied into the build: too large to copy, and not part of a CodeBuild source anyway. */
const SOURCE_EXCLUDES = new Set(["node_modules", ".git", ".nx", ".prebake", "_build"]);
/** CodeBuild's default build timeout. */
export const DEFAULT_TIMEOUT_MINUTES = 60;

export interface LocalBuildOptions {
  image: string;
  spec: Buildspec;
  sourceDir: string;
  /** Secondary sources (a pipeline action's other inputs), at CODEBUILD_SRC_DIR_<name>. */
  secondarySources?: SecondarySources;
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

/** core's local build run, with what the build left behind. */
export interface LocalBuildResult extends CodeBuildLocalRun {
  /** The project's compute type, when the run is a project's (what the build would cost in CodeBuild). */
  computeType: string | undefined;
  image: string;
  phases: PhaseResult[];
  failure: BuildFailure | undefined;
  /** Folder of the primary artifacts. */
  artifacts: string | undefined;
  /** Folders of the secondary artifacts, by identifier. */
  secondaryArtifacts: Record<string, string>;
  /** Test reports (buildspec `reports`), one summary per report group. */
  reports: ReportSummary[];
  /** env.exported-variables with their values at the end of the build. */
  exportedVariables: Record<string, string>;
}

/** What runs where, decided before the container exists. */
interface BuildPlan {
  sourceDir: string;
  /** -a: where artifacts are copied; without it their patterns are still checked. */
  artifactsDir: string | undefined;
  cacheFolders: CacheFolder[];
  cacheVolume: string | undefined;
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
function sourceTar(sourceDir: string, spec: Buildspec, plan: BuildPlan): NodeJS.ReadableStream {
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
      const driver = driverScript(spec, { cacheFolders: plan.cacheFolders, srcDir: SRC_DIR });
      p.entry({ name: DRIVER_PATH.slice(1), mode: 0o755 }, driver);
      p.entry({ name: RUN_AS_SCRIPT_PATH.slice(1), mode: 0o755 }, RUN_AS_SCRIPT);
      p.entry({ name: HASH_FILES_PATH.slice(1), mode: 0o755 }, HASH_FILES_SCRIPT);
      p.finalize();
    },
  });
}

/** Inputs checked before anything runs: the source folder, paths that stay in their folders, keys a local run refuses. */
function planBuild(ctx: Context, opts: LocalBuildOptions): BuildPlan {
  const sourceDir = resolve(opts.sourceDir);
  if (!existsSync(sourceDir))
    throw new ConfigError("source directory not found", { where: opts.sourceDir, fix: "check -s" });
  refuseUnsupportedLocally(opts.spec);
  checkBaseDirectory(opts.spec, SRC_DIR);
  // Names written out are checked now, before anything runs; names the shell computes, after the build.
  if (opts.artifactsDir) artifactTargets(opts.spec, opts.artifactsDir);
  const { folders, warnings } = cacheFolders(opts.spec, SRC_DIR);
  for (const w of [...localRunWarnings(opts.spec), ...warnings]) ctx.out.warn(w);
  const cacheVolume = folders.length > 0 ? cacheVolumeName(opts.project, sourceDir) : undefined;
  return { sourceDir, artifactsDir: opts.artifactsDir, cacheFolders: folders, cacheVolume };
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
      sourceVersion: await resolvedSourceVersion(sourceDir),
    }),
    ...secondarySourceVariables(placeSecondarySources(opts.secondarySources)),
    ...opts.spec.env.variables,
    ...secrets,
    ...(opts.env ?? {}),
    ...(opts.secretEnv ?? {}),
  };
}

/**
 * runtime-versions from the image's runtimes file (CodeBuild's curated images carry one at
 * /codebuild/image/config/runtimes.yml): the buildspec with their commands first in INSTALL.
 */
async function withImageRuntimes(
  ctx: Context,
  container: RunToCompletionContainer,
  spec: Buildspec,
  env: Record<string, string>,
): Promise<Buildspec> {
  if (Object.keys(spec.phases.install?.runtimeVersions ?? {}).length === 0) return spec;
  const file = await readContainerFile(container, RUNTIMES_FILE);
  for (const w of runtimeVersionWarnings(spec, file !== undefined)) ctx.out.warn(w);
  return file === undefined ? spec : withRuntimeCommands(spec, runtimeCommands(spec, file, env));
}

/**
 * Start the build and follow it: its output (stdout and stderr, merged by the driver) is printed;
 * the driver's markers come on the container's stderr alone and drive the tracker, so nothing the
 * build prints can be read as a marker.
 */
async function followBuild(
  ctx: Context,
  container: RunToCompletionContainer,
  opts: LocalBuildOptions,
  tracker: PhaseTracker,
): Promise<{ exitCode: number; timedOut: boolean }> {
  const onOutput = (line: string) => ctx.out.info(line);
  const onMarkerChannel = (line: string) => {
    const marker = readMarker(line);
    if (marker === undefined) return onOutput(line);
    const event = tracker.marker(marker, Date.now());
    if (event) ctx.out.step(event);
  };
  try {
    return await container.run(onOutput, {
      timeoutMs: (opts.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) * 60_000,
      onStderrLine: onMarkerChannel,
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

/** A refusal the driver made inside the image (a run-as user it does not have): exit 3, naming the field. */
function refusalError(
  spec: Buildspec,
  image: string,
  refusal: PhaseTracker["refusal"],
): ConfigError | undefined {
  if (!refusal) return undefined;
  if (refusal.kind === "run-as-no-su") {
    return new ConfigError(`run-as needs su in the image, and ${image} has none`, {
      where: whereIn(spec, "run-as"),
      fix: "install su (util-linux) in the image, or drop run-as",
    });
  }
  const field = Object.keys(spec.lines).find((k) => k.endsWith("run-as")) ?? "run-as";
  return new ConfigError(`run-as: user '${refusal.subject}' does not exist in ${image}`, {
    where: whereIn(spec, field),
    fix: "create the user in the image (useradd), or name one it has",
  });
}

/**
 * UPLOAD_ARTIFACTS, after the build and outside its shell (as CodeBuild's agent does): artifacts
 * of a successful build, and report files whatever the outcome.
 */
async function collectAfterBuild(
  ctx: Context,
  container: RunToCompletionContainer,
  spec: Buildspec,
  plan: BuildPlan,
  tracker: PhaseTracker,
  succeeded: boolean,
): Promise<{ ok: boolean; reports: ReportSummary[]; artifacts: ArtifactOutput[] }> {
  const targets = plan.artifactsDir ? artifactTargets(spec, plan.artifactsDir, tracker.artifactNames) : [];
  const artifacts: ArtifactOutput[] = succeeded
    ? artifactSets(spec).map((set, i) => ({ set, target: targets[i]?.target }))
    : [];
  if (artifacts.length === 0 && spec.reports.length === 0) return { ok: true, reports: [], artifacts };
  for (const a of artifacts) if (a.target) mkdirSync(a.target, { recursive: true });
  if (artifacts.length > 0) ctx.out.step(tracker.marker("phase-start UPLOAD_ARTIFACTS", Date.now()) ?? "");
  const collected = await collectOutputs(container, SRC_DIR, artifacts, spec.reports);
  for (const w of collected.warnings) ctx.out.warn(w);
  tracker.missingArtifact = collected.missing;
  const ok = collected.missing === undefined;
  if (artifacts.length > 0)
    ctx.out.step(tracker.marker(`phase-end UPLOAD_ARTIFACTS ${ok ? 0 : 1}`, Date.now()) ?? "");
  return { ok, reports: readReports(ctx, spec, collected.reports), artifacts };
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

/** The phase table, the report summaries and the exported variables, as the masker shows them. */
function report(ctx: Context, tracker: PhaseTracker, reports: ReportSummary[]): Record<string, string> {
  ctx.out.table(
    ["phase", "status", "duration"],
    tracker.results().map((p) => [p.name, p.status, formatDuration(p.durationMs)]),
  );
  for (const summary of reports) printReportSummary(ctx, summary);
  // Values as the masker shows them: an exported secret is *** here too.
  const exported = Object.fromEntries(Object.entries(tracker.exported).map(([k, v]) => [k, ctx.out.mask(v)]));
  for (const [k, v] of Object.entries(exported)) ctx.out.info(`exported ${k}=${v}`);
  return exported;
}

/** The secondary artifacts' folders, by identifier. */
function secondaryFolders(artifacts: ArtifactOutput[]): Record<string, string> {
  return Object.fromEntries(
    artifacts.slice(1).flatMap((a) => (a.target && a.set.identifier ? [[a.set.identifier, a.target]] : [])),
  );
}

/** Create the build container: the cache volume mounted, the engine socket in privileged mode. */
async function createBuildContainer(
  ctx: Context,
  runtime: ContainerRuntime,
  opts: LocalBuildOptions,
  plan: BuildPlan,
  env: Record<string, string>,
  buildId: string,
  pipIndexes: LocalPipIndexes | undefined,
): Promise<RunToCompletionContainer> {
  const binds: string[] = (pipIndexes?.mounts ?? []).map((m) => `${m}:${m}:ro`);
  if (plan.cacheVolume) {
    await runtime.ensureVolume(plan.cacheVolume, { "prebake.codebuild.cache": opts.project ?? "local" });
    binds.push(`${plan.cacheVolume}:${CACHE_MOUNT}`);
  }
  // CodeBuild's privileged mode exists so builds can run Docker. Locally the build gets the host
  // engine's socket (sibling containers) rather than a Docker-in-Docker sidecar: a sidecar needs a
  // privileged container of its own (as much root on the host as the socket) and an image with
  // dockerd, which nothing here can pull. No kernel privileges are handed to the build itself, and it
  // works on engines that refuse privileged containers. But whoever holds the socket can start a
  // container that mounts / as root: say so every time, so it is a choice.
  const hostNetwork = ctx.config.profile.kind === "local";
  if (opts.privileged) {
    const socket = ctx.config.profile.dockerSocket ?? "/var/run/docker.sock";
    binds.push(`${socket}:/var/run/docker.sock`);
    ctx.out.warn(
      `privileged mode: the build gets this machine's Docker engine (${socket})${hostNetwork ? " and its network" : ""}, ` +
        "which is root on this host: run only buildspecs and sources you trust",
    );
  }
  return runtime.create({
    image: opts.image,
    namePrefix: "prebake-codebuild",
    cmd: [buildShell(opts.spec), DRIVER_PATH],
    env,
    workingDir: SRC_DIR,
    labels: { "prebake.codebuild.build-id": buildId, "prebake.codebuild.pid": String(process.pid) },
    // The local profile's services (registry, emulator) listen on this machine's loopback only.
    networkMode: hostNetwork ? "host" : "bridge",
    binds,
  });
}

/**
 * The local profile's stand-in for the package index a build in CodeBuild reaches over the network:
 * this machine's local pip indexes (layers' localPipIndexes), mounted read-only, named in PIP_*
 * variables under everything else (a project's, an env file's or the buildspec's own PIP_* win).
 * The aws profile's local runs get none: like CodeBuild, they reach what the network gives them.
 */
async function localPackageIndex(ctx: Context): Promise<LocalPipIndexes | undefined> {
  if (ctx.config.profile.kind !== "local") return undefined;
  const indexes = await localPipIndexes(ctx.config.rootDir);
  if (indexes) ctx.out.info(`local package index: this machine's pip indexes (${indexes.description})`);
  return indexes;
}

/** Run a buildspec in an image, locally, with CodeBuild's semantics; never leaves a container behind. */
export async function runLocalBuild(ctx: Context, opts: LocalBuildOptions): Promise<LocalBuildResult> {
  const { out } = ctx;
  const started = Date.now();
  const runtime = containerRuntime(ctx);
  const plan = planBuild(ctx, opts);
  const secondary = placeSecondarySources(opts.secondarySources);
  await ensureImage(ctx, runtime, opts.image, opts.imageSource ?? "--image");
  const buildId = `${opts.project ?? "local"}:${randomBytes(4).toString("hex")}`;
  const pipIndexes = await localPackageIndex(ctx);
  const env = { ...pipIndexes?.env, ...(await buildEnvironment(ctx, opts, plan.sourceDir, buildId)) };
  const container = await createBuildContainer(ctx, runtime, opts, plan, env, buildId, pipIndexes);
  try {
    const spec = await withImageRuntimes(ctx, container, opts.spec, env);
    await container.putArchive(sourceTar(plan.sourceDir, spec, plan), "/");
    for (const source of secondary) await container.putArchive(secondarySourceTar(source), "/");
    out.step(`build ${buildId} in ${opts.image} (${buildShell(spec)})`);
    const tracker = new PhaseTracker();
    const { exitCode, timedOut } = await followBuild(ctx, container, { ...opts, spec }, tracker);
    const refused = refusalError(spec, opts.image, tracker.refusal);
    if (refused) throw refused;
    const endedEarly = tracker.finish(Date.now(), exitCode);
    const built = exitCode === 0 && !endedEarly && !timedOut;
    const collected = await collectAfterBuild(ctx, container, spec, plan, tracker, built);
    const succeeded = built && collected.ok;
    const primary = collected.artifacts[0]?.target;
    const result: LocalBuildResult = {
      kind: "codebuild-local",
      project: opts.project ?? "local",
      computeType: opts.computeType,
      status: succeeded ? "SUCCEEDED" : "FAILED",
      image: opts.image,
      phases: tracker.results(),
      failure: tracker.failure(spec),
      artifacts: succeeded ? primary : undefined,
      secondaryArtifacts: succeeded ? secondaryFolders(collected.artifacts) : {},
      reports: collected.reports,
      exportedVariables: report(ctx, tracker, collected.reports),
      durationMs: Date.now() - started,
      ...(opts.benchmark ? { benchmark: opts.benchmark } : {}),
    };
    if (!succeeded) {
      out.result(result);
      const timeout = timedOut ? (opts.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) : undefined;
      throw new BuildFailedError(failureMessage(tracker, spec, exitCode, timeout), {
        where: spec.file,
        fix: "see the build output above",
      });
    }
    out.success(
      `build ${buildId} succeeded in ${formatDuration(result.durationMs)}${primary ? `; artifacts in ${primary}` : ""}`,
    );
    return result;
  } finally {
    await container.remove();
  }
}
