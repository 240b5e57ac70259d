import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  BuildFailedError,
  ConfigError,
  type Context,
  firstLine,
  formatDuration,
  onInterrupt,
} from "@prebake/core";
import type Docker from "dockerode";
import { extract, pack } from "tar-fs";
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

export interface LocalBuildOptions {
  image: string;
  spec: Buildspec;
  sourceDir: string;
  artifactsDir?: string | undefined;
  /** Project environment variables, then env file, then overrides: later wins. */
  env?: Record<string, string>;
  privileged?: boolean;
  project?: string;
  /** Where the image came from, for messages (default --image). */
  imageSource?: string;
}

export interface LocalBuildResult {
  status: "SUCCEEDED" | "FAILED";
  image: string;
  phases: PhaseResult[];
  failure: BuildFailure | undefined;
  artifacts: string | undefined;
  /** env.exported-variables with their values at the end of the build. */
  exportedVariables: Record<string, string>;
  durationMs: number;
}

async function ensureImage(ctx: Context, docker: Docker, image: string, where: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch {
    // Not in the engine: a registry image (a pushed manifest's uri) is pulled.
  }
  ctx.out.info(`pulling ${image}`);
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((res, rej) =>
      docker.modem.followProgress(stream, (err) => (err ? rej(err) : res())),
    );
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

async function hasFile(container: Docker.Container, path: string): Promise<boolean> {
  try {
    const s = (await container.getArchive({ path })) as NodeJS.ReadableStream;
    s.resume();
    return true;
  } catch {
    return false;
  }
}

/** Run a buildspec in an image, locally, with CodeBuild's semantics; never leaves a container behind. */
export async function runLocalBuild(ctx: Context, opts: LocalBuildOptions): Promise<LocalBuildResult> {
  const { out } = ctx;
  const docker = ctx.docker();
  const started = Date.now();
  const sourceDir = resolve(opts.sourceDir);
  if (!existsSync(sourceDir))
    throw new ConfigError("source directory not found", { where: opts.sourceDir, fix: "check -s" });
  for (const w of opts.spec.warnings) out.warn(w);
  if (opts.spec.notRunLocally.length > 0) {
    out.warn(
      `${opts.spec.file}: ${opts.spec.notRunLocally.join(", ")}: acted on by CodeBuild's service, not by a local run (commands run as the image's user)`,
    );
  }

  await ensureImage(ctx, docker, opts.image, opts.imageSource ?? "--image");
  const suffix = randomBytes(4).toString("hex");
  const buildId = `${opts.project ?? "local"}:${suffix}`;
  const secrets = await resolveBuildspecSecrets(ctx, opts.spec);
  const env: Record<string, string> = {
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
  };

  // Named, and its removal registered before it exists: a Ctrl-C at any point removes it.
  const name = `prebake-codebuild-${suffix}`;
  const remove = () =>
    docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  const forget = onInterrupt(remove);
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name,
      Image: opts.image,
      Cmd: [buildShell(opts.spec), DRIVER_PATH],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: SRC_DIR,
      // The pid lets a test (or a person) tell this process's build containers from others'.
      Labels: { "prebake.codebuild.build-id": buildId, "prebake.codebuild.pid": String(process.pid) },
      HostConfig: {
        NetworkMode: ctx.config.profile.kind === "local" ? "host" : "bridge",
        // CodeBuild's privileged mode exists so builds can run Docker. Locally the build gets the
        // host engine's socket instead (sibling containers): no kernel privileges are handed out,
        // and it works on engines that refuse privileged containers.
        Binds: opts.privileged
          ? [`${ctx.config.profile.dockerSocket ?? "/var/run/docker.sock"}:/var/run/docker.sock`]
          : [],
      },
    });
  } catch (err) {
    forget();
    await remove();
    throw err;
  }
  const tracker = new PhaseTracker();
  try {
    for (const w of runtimeVersionWarnings(opts.spec, await hasFile(container, RUNTIMES_FILE))) out.warn(w);
    await container.putArchive(sourceTar(sourceDir, opts.spec), { path: "/" });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const lines = new PassThrough();
    docker.modem.demuxStream(stream, lines, lines);
    let partial = "";
    lines.on("data", (chunk: Buffer) => {
      const text = partial + chunk.toString("utf8");
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) handleLine(line);
    });
    const handleLine = (line: string) => {
      const { output, marker } = splitMarker(line);
      if (output !== undefined) out.info(output);
      if (marker !== undefined) {
        const event = tracker.marker(marker, Date.now());
        if (event) out.step(event);
      }
    };
    out.step(`build ${buildId} in ${opts.image} (${buildShell(opts.spec)})`);
    try {
      await container.start();
    } catch (err) {
      const why = firstLine(err);
      const noShell = /executable file not found|no such file/i.test(why);
      throw new ConfigError(`cannot start the build in ${opts.image}: ${why}`, {
        where: noShell ? `${opts.spec.file}: env.shell` : "--image",
        fix: noShell
          ? `the image needs ${buildShell(opts.spec)} (CodeBuild's default shell on Linux is sh; env.shell: bash needs bash)`
          : "check the image and the Docker engine",
      });
    }
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    (stream as unknown as { destroy?: () => void }).destroy?.();
    if (partial) handleLine(partial);
    const endedEarly = tracker.finish(Date.now(), StatusCode);
    const succeeded = StatusCode === 0 && !endedEarly;

    let artifacts: string | undefined;
    if (opts.artifactsDir && opts.spec.artifacts && succeeded) {
      artifacts = join(resolve(opts.artifactsDir), opts.spec.artifacts.name ?? "artifacts");
      mkdirSync(artifacts, { recursive: true });
      const tar = (await container.getArchive({ path: ARTIFACTS_DIR })) as NodeJS.ReadableStream;
      // getArchive roots the tar at the folder's own name: strip it.
      await pipeline(
        tar,
        extract(artifacts, { map: (h) => ({ ...h, name: h.name.split("/").slice(1).join("/") }) }),
      );
    }

    const phases = tracker.results();
    out.table(
      ["phase", "status", "duration"],
      phases.map((p) => [p.name, p.status, formatDuration(p.durationMs)]),
    );
    const exportedVariables = tracker.exported;
    for (const [k, v] of Object.entries(exportedVariables)) out.info(`exported ${k}=${v}`);
    const failure = tracker.failure(opts.spec);
    const result: LocalBuildResult = {
      status: succeeded ? "SUCCEEDED" : "FAILED",
      image: opts.image,
      phases,
      failure,
      artifacts,
      exportedVariables,
      durationMs: Date.now() - started,
    };
    if (result.status === "FAILED") {
      const what = failure
        ? `phase ${failure.phase} failed: command \`${failure.command}\` exited ${failure.exitCode}${
            failure.endedShell
              ? " and ended the build's shell (later commands, finally and phases did not run)"
              : ""
          }`
        : tracker.missingArtifact
          ? `UPLOAD_ARTIFACTS failed: no file matches ${tracker.missingArtifact}`
          : `the build exited ${StatusCode}`;
      out.result(result);
      throw new BuildFailedError(what, { where: opts.spec.file, fix: "see the build output above" });
    }
    out.success(
      `build ${buildId} succeeded in ${formatDuration(result.durationMs)}${artifacts ? `; artifacts in ${artifacts}` : ""}`,
    );
    return result;
  } finally {
    await remove();
    forget();
  }
}
