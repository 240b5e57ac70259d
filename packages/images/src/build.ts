import type { Readable } from "node:stream";
import {
  BuildFailedError,
  type Context,
  containerRuntime,
  type DockerStreamEvent,
  firstLine,
  followDockerStream,
  isPrebakeError,
  registerCleanup,
} from "@prebake/core";

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
}

const TAIL_LINES = 15;
const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const RUNNING_IN = /^ ---> Running in ([0-9a-f]{12,64})$/;
// The classic builder colours a RUN's stderr; the colour codes must not reach messages.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * Follows a classic-builder stream: which step runs, and the last lines each step printed, so a
 * failure can name the step and show its output.
 */
export class BuildProgress {
  step = "";
  private tail: string[] = [];
  private partial = "";
  imageId: string | undefined;
  /** The container the current step runs in (the classic builder's intermediate container). */
  stepContainer: string | undefined;

  private readonly onStep: (step: string) => void;
  private readonly onLine: (line: string) => void;

  constructor(onStep: (step: string) => void = () => {}, onLine: (line: string) => void = () => {}) {
    this.onStep = onStep;
    this.onLine = onLine;
  }

  feed(event: DockerStreamEvent): void {
    if (event.aux?.ID) this.imageId = event.aux.ID;
    if (typeof event.stream !== "string") return;
    const text = this.partial + event.stream;
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const raw of lines) this.line(raw);
  }

  private line(raw: string): void {
    const line = raw.replace(ANSI, "").replace(/\s+$/, "");
    if (!line) return;
    this.onLine(line);
    const running = RUNNING_IN.exec(line);
    if (running) this.stepContainer = running[1];
    const m = STEP.exec(line);
    if (m) {
      // Multi-line RUNs arrive joined with runs of spaces; one short line is enough to find it.
      const instruction = m[3]!.replace(/\s+/g, " ");
      this.step = `Step ${m[1]}/${m[2]} : ${instruction.length > 120 ? `${instruction.slice(0, 120)}…` : instruction}`;
      this.tail = [];
      this.onStep(this.step);
      return;
    }
    // Builder chatter, not the step's own output.
    if (/^ ---> /.test(line) || /^Removing intermediate container /.test(line)) return;
    this.tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  lastLines(): string[] {
    return this.partial.trim() ? [...this.tail, this.partial.trim()].slice(-TAIL_LINES) : [...this.tail];
  }
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

async function requestBuild(ctx: Context, req: BuildRequest): Promise<NodeJS.ReadableStream> {
  try {
    return await ctx.docker().buildImage(req.context, {
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
      // X-Registry-Config: what the engine pulls FROM with (the `pull` of a base in ECR).
      ...(req.registryAuth ? { registryconfig: { [req.registryAuth.serveraddress]: req.registryAuth } } : {}),
    });
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
  const code = /returned a non-zero code: (\d+)/.exec(firstLine(err));
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
  const progress = buildProgressFor(ctx, req.label);
  const stream = await requestBuild(ctx, req);
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
