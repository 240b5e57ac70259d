import type { Readable } from "node:stream";
import {
  BuildFailedError,
  ConfigError,
  type Context,
  containerRuntime,
  type DockerStreamEvent,
  firstLine,
  followDockerStream,
  isPrebakeError,
  registerCleanup,
} from "@prebake/core";
import {
  type BuildkitStatus,
  type BuildSession,
  decodeBuildkitStatus,
  openBuildSession,
} from "./buildkit.ts";

export interface BuildRequest {
  /** For messages: "<name>:<version>". */
  label: string;
  context: Readable;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  platform: string;
  /** Local profile: "host", so RUN steps reach sources served on the host's loopback. */
  networkMode?: string;
  noCache?: boolean;
  /** aws profile: refresh the base from its registry; locally bases are built, never pulled. */
  pull?: boolean;
  /** Credentials for the registry BASE_IMAGE names (the profile's ECR). Never printed. */
  registryAuth?: { username: string; password: string; serveraddress: string };
  /**
   * Build secrets by id, for `RUN --mount=type=secret,id=<id>` (BuildKit only). Served over the build
   * session: never a build arg, a label or a layer, so never in the image or its history.
   */
  secrets?: Record<string, string>;
  /** The Dockerfile's text: a `RUN --mount` in it needs BuildKit. */
  dockerfileText?: string;
}

export type Builder = "buildkit" | "legacy";

/** The first Engine API version whose BuildKit builds take a client session (secrets, registry auth). */
const BUILDKIT_API = [1, 39];

/**
 * Which builder builds: BuildKit wherever the engine has it (Engine API 1.39, Docker 18.09, and
 * later), the classic one otherwise. PREBAKE_BUILDER=legacy|buildkit chooses by hand (a
 * benchmark's baseline, an engine that reports BuildKit but fails with it).
 */
export async function chooseBuilder(ctx: Context, env: NodeJS.ProcessEnv = process.env): Promise<Builder> {
  const wanted = env.PREBAKE_BUILDER;
  if (wanted === "legacy" || wanted === "buildkit") return wanted;
  if (wanted) {
    throw new ConfigError(`PREBAKE_BUILDER is '${wanted}'`, {
      where: "PREBAKE_BUILDER",
      fix: "set it to buildkit or legacy, or unset it (BuildKit where the engine has it)",
    });
  }
  const version = (await ctx.docker().version()) as { ApiVersion?: string; Os?: string };
  const [major = 0, minor = 0] = (version.ApiVersion ?? "0.0").split(".").map(Number);
  const apiOk = major > BUILDKIT_API[0]! || (major === BUILDKIT_API[0] && minor >= BUILDKIT_API[1]!);
  return apiOk && (version.Os ?? "linux") === "linux" ? "buildkit" : "legacy";
}

/** Whether a Dockerfile uses what only BuildKit parses (`RUN --mount=...`: caches, secrets). */
export const needsBuildkit = (dockerfileText: string) =>
  /^\s*RUN\s+(?:--\S+\s+)*--mount=/im.test(dockerfileText);

const TAIL_LINES = 15;
const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const RUNNING_IN = /^ ---> Running in ([0-9a-f]{12,64})$/;
// The classic builder colours a RUN's stderr; the colour codes must not reach messages.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** BuildKit's vertex name of a Dockerfile step: "[stage-0 2/3] RUN make", "[build 3/9] COPY . ." or "[2/3] RUN make". */
const BUILDKIT_STEP = /^\[(?:(\S+) )?(\d+)\/(\d+)\] (.*)$/s;

/**
 * Follows a build stream, from either builder: which step runs, and the last lines each step
 * printed, so a failure can name the step and show its output. The classic builder sends text
 * ("Step 2/3 : RUN make"); BuildKit sends `moby.buildkit.trace` events (vertexes and their logs),
 * whose steps are named the same way here so both read alike.
 */
export class BuildProgress {
  step = "";
  private tail: string[] = [];
  private partial = "";
  imageId: string | undefined;
  /** The container the current step runs in (the classic builder's intermediate container). */
  stepContainer: string | undefined;
  /** BuildKit: each step's name and output by vertex digest (steps run in parallel across stages). */
  private readonly vertexSteps = new Map<string, string>();
  private readonly vertexTails = new Map<string, string[]>();
  private readonly cachedSteps = new Set<string>();

  private readonly onStep: (step: string) => void;
  private readonly onLine: (line: string) => void;

  constructor(onStep: (step: string) => void = () => {}, onLine: (line: string) => void = () => {}) {
    this.onStep = onStep;
    this.onLine = onLine;
  }

  feed(event: DockerStreamEvent): void {
    // BuildKit's progress: the event's aux is a base64 StatusResponse, not the object core types it as.
    const aux: unknown = event.aux;
    if (event.id === "moby.buildkit.trace" && typeof aux === "string") {
      this.buildkit(decodeBuildkitStatus(aux));
      return;
    }
    if (event.aux?.ID) this.imageId = event.aux.ID;
    if (typeof event.stream !== "string") return;
    const text = this.partial + event.stream;
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const raw of lines) this.line(raw);
  }

  private buildkit(status: BuildkitStatus): void {
    for (const v of status.vertexes) {
      const m = BUILDKIT_STEP.exec(v.name);
      if (!m) continue; // BuildKit's own work: "[internal] load build definition", exporting
      if (!this.vertexSteps.has(v.digest)) {
        const stage = m[1] && !/^stage-\d+$/.test(m[1]) ? ` (stage ${m[1]})` : "";
        const step = `Step ${m[2]}/${m[3]}${stage} : ${shortInstruction(m[4]!)}`;
        this.vertexSteps.set(v.digest, step);
        this.vertexTails.set(v.digest, []);
      }
      const step = this.vertexSteps.get(v.digest)!;
      if ((v.started && !v.completed && step !== this.step) || v.error) this.enter(v.digest, step);
      // A step taken from the cache never runs (it arrives started and completed at once). It is
      // still named once, as the classic builder's "Using cache" is: a CI log shows every step.
      else if (v.cached && !this.cachedSteps.has(v.digest)) {
        this.cachedSteps.add(v.digest);
        this.onStep(`${step} (cached)`);
      }
    }
    for (const log of status.logs) {
      const tail = this.vertexTails.get(log.vertex);
      for (const raw of log.text.split(/\r?\n/)) {
        const line = raw.replace(ANSI, "").replace(/\s+$/, "");
        if (!line) continue;
        this.onLine(line);
        if (tail) keepLast(tail, line);
      }
    }
  }

  /** A BuildKit step starts (or fails): it becomes the step a failure names, with its own output. */
  private enter(digest: string, step: string): void {
    this.step = step;
    this.tail = this.vertexTails.get(digest)!;
    this.onStep(step);
  }

  private line(raw: string): void {
    const line = raw.replace(ANSI, "").replace(/\s+$/, "");
    if (!line) return;
    this.onLine(line);
    const running = RUNNING_IN.exec(line);
    if (running) this.stepContainer = running[1];
    const m = STEP.exec(line);
    if (m) {
      this.step = `Step ${m[1]}/${m[2]} : ${shortInstruction(m[3]!)}`;
      this.tail = [];
      this.onStep(this.step);
      return;
    }
    // Builder chatter, not the step's own output.
    if (/^ ---> /.test(line) || /^Removing intermediate container /.test(line)) return;
    keepLast(this.tail, line);
  }

  lastLines(): string[] {
    return this.partial.trim() ? [...this.tail, this.partial.trim()].slice(-TAIL_LINES) : [...this.tail];
  }
}

/** Multi-line RUNs arrive joined with runs of spaces; one short line is enough to find it. */
function shortInstruction(instruction: string): string {
  const one = instruction.replace(/\s+/g, " ");
  return one.length > 120 ? `${one.slice(0, 120)}…` : one;
}

function keepLast(tail: string[], line: string): void {
  tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
  if (tail.length > TAIL_LINES) tail.shift();
}

/** Progress of a build as the output shows it: every step in a CI log, the latest output line as progress. */
function buildProgressFor(ctx: Context, label: string): BuildProgress {
  const { out } = ctx;
  return new BuildProgress(
    // A TTY rewrites one status line; a CI log gets every step (they are few and each one matters).
    (step) => {
      if (out.tty) out.progress(label, step);
      else out.info(`${label}: ${step}`);
    },
    // A long RUN (an 8-minute OTP compile) must not look hung: its latest output line shows as
    // progress, throttled to one line every few seconds in a CI log.
    (line) => {
      out.debug(line);
      if (!out.verbose && !/^(Step \d+\/\d+ : | ---> |Removing intermediate container )/.test(line)) {
        out.progress(`${label} output`, line.length > 160 ? `${line.slice(0, 160)}…` : line);
      }
    },
  );
}

function buildOptions(req: BuildRequest): Record<string, unknown> {
  return {
    t: req.tags[0],
    dockerfile: req.dockerfile,
    buildargs: req.buildArgs,
    labels: req.labels,
    platform: req.platform,
    rm: true,
    forcerm: true,
    pull: req.pull ?? false,
    nocache: req.noCache ?? false,
    ...(req.networkMode ? { networkmode: req.networkMode } : {}),
  };
}

async function requestBuild(ctx: Context, req: BuildRequest, session: BuildSession | undefined) {
  try {
    if (!session) {
      return await ctx.docker().buildImage(req.context, {
        ...buildOptions(req),
        // X-Registry-Config: what the engine pulls FROM with (the `pull` of a base in ECR).
        ...(req.registryAuth
          ? { registryconfig: { [req.registryAuth.serveraddress]: req.registryAuth } }
          : {}),
      });
    }
    // BuildKit with prebake's own session: dockerode's buildImage would open a session of its own
    // (registry credentials only) for version 2, so the request is made here, as buildImage makes it.
    return await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      ctx.docker().modem.dial(
        {
          path: "/build?",
          method: "POST",
          file: req.context,
          options: { ...buildOptions(req), version: "2", session: session.id },
          isStream: true,
          statusCodes: { 200: true, 500: "server error" },
        } as never,
        (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as NodeJS.ReadableStream)),
      ),
    );
  } catch (err) {
    throw new BuildFailedError(`the engine refused the build: ${firstLine(err)}`, {
      where: `image ${req.label}`,
      fix: "check the Dockerfile and the engine's log",
      cause: err,
    });
  }
}

function stepFailure(req: BuildRequest, progress: BuildProgress, err: unknown): BuildFailedError {
  const tail = progress.lastLines();
  // The engine repeats the whole command in its message; the step already names it.
  // The classic builder: "returned a non-zero code: 3"; BuildKit: "... exit code: 3".
  const code = /(?:returned a non-zero code|exit code): (\d+)/.exec(firstLine(err));
  const why = code ? `exit code ${code[1]}` : firstLine(err);
  return new BuildFailedError(
    `${progress.step || "the build"} failed (${why})${tail.length ? `; last output: ${tail.join(" | ")}` : ""}`,
    {
      where: `image ${req.label}`,
      fix: "fix that step in the Dockerfile (run with --verbose to see every build line)",
      cause: err,
    },
  );
}

/** Build one image with the engine; returns the image id. A failed step is a BuildFailedError (exit 8). */
export async function buildImage(ctx: Context, req: BuildRequest): Promise<string> {
  const docker = ctx.docker();
  const runtime = containerRuntime(ctx);
  const builder = await chooseBuilder(ctx);
  if (builder === "legacy" && req.dockerfileText !== undefined && needsBuildkit(req.dockerfileText)) {
    throw new BuildFailedError("the Dockerfile uses RUN --mount, which only BuildKit builds", {
      where: `image ${req.label}: ${req.dockerfile}`,
      fix: "build on an engine with BuildKit (Docker 18.09 or later), without PREBAKE_BUILDER=legacy",
    });
  }
  for (const value of Object.values(req.secrets ?? {})) ctx.out.addSecret(value);
  const progress = buildProgressFor(ctx, req.label);
  const session =
    builder === "buildkit" ? await openBuildSession(ctx, req.secrets ?? {}, req.registryAuth) : undefined;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await requestBuild(ctx, req, session);
  } catch (err) {
    session?.close();
    throw err;
  }
  // A signal cancels the build: closing the request makes the engine stop it, and the step's
  // container is removed now rather than whenever the engine gets to it.
  const forget = registerCleanup(async () => {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    if (progress.stepContainer) await runtime.removeContainer(progress.stepContainer);
  });
  try {
    await runtime.watch(`building ${req.label}`, (abortSignal) => {
      abortSignal.addEventListener("abort", () =>
        (stream as unknown as { destroy?: () => void }).destroy?.(),
      );
      return followDockerStream(docker, stream, (e) => progress.feed(e));
    });
  } catch (err) {
    if (isPrebakeError(err) && !(err instanceof BuildFailedError)) throw err; // the engine stopped answering
    throw stepFailure(req, progress, err);
  } finally {
    forget();
    session?.close();
  }
  if (!progress.imageId) {
    throw new BuildFailedError("the build ended without an image id", {
      where: `image ${req.label}`,
      fix: "run with --verbose and check the engine's log",
    });
  }
  for (const tag of req.tags.slice(1)) {
    const [repo, t] = splitRef(tag);
    await docker.getImage(progress.imageId).tag({ repo, tag: t });
  }
  return progress.imageId;
}

export function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, "latest"];
}
