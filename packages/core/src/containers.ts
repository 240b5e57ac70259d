import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { registerCleanup } from "./cleanup.ts";
import type { Context } from "./context.ts";
import { describeMs, withDeadline } from "./deadline.ts";
import { type DockerStreamEvent, engineAddress, followDockerStream } from "./docker.ts";
import { firstLine, UnavailableError } from "./errors.ts";
import { LineSplitter } from "./lines.ts";

/**
 * The container runtime: the only code in prebake that creates, starts, execs in, waits for or
 * removes containers, pulls images or asks whether the engine has one. Its promises:
 * - a container's removal is registered before the container is created (its name is chosen
 *   first), so SIGINT/SIGTERM/SIGHUP at any moment removes it; a start that fails removes it too;
 * - every engine call has a deadline, and long waits (a build, an exec, a copy) ask the engine
 *   every few seconds whether it still answers: a hung engine is an UnavailableError (exit 5)
 *   naming what did not answer, never a hang;
 * - output is split into lines for the caller (whose Output masks secrets in every line).
 */

/** Every container carries the pid of the prebake process that made it: leftovers are countable per run. */
export const CONTAINER_PID_LABEL = "prebake.pid";

export interface ContainerSpec {
  image: string;
  /** The readable part of the name; the runtime appends the pid and a random suffix. */
  namePrefix: string;
  cmd: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  labels?: Record<string, string>;
  /** `host:container[:ro|rw]` bind mounts and `volume:container` named volumes. */
  binds?: string[];
  networkMode?: string;
}

export interface RuntimeTimeouts {
  /** One engine API call: create, start, inspect, remove, exec create. */
  callMs: number;
  /** How often a long wait asks the engine whether it still answers. */
  heartbeatMs: number;
}

/** PREBAKE_ENGINE_TIMEOUT_MS shortens the deadlines (fault-injection tests); the default suits a busy engine. */
export function defaultTimeouts(env: NodeJS.ProcessEnv = process.env): RuntimeTimeouts {
  const callMs = Number(env.PREBAKE_ENGINE_TIMEOUT_MS) || 60_000;
  return { callMs, heartbeatMs: Math.min(15_000, Math.max(200, Math.round(callMs / 4))) };
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  /** The last lines of stdout and stderr, for error messages. */
  tail: string[];
}

export interface RunResult {
  exitCode: number;
  /** The container outlived its time limit and was killed. */
  timedOut: boolean;
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

export class ContainerRuntime {
  readonly docker: Docker;
  /** The engine's address, for messages. */
  readonly engine: string;
  readonly timeouts: RuntimeTimeouts;
  private readonly warn: (message: string) => void;

  constructor(
    docker: Docker,
    engine: string,
    options: { timeouts?: RuntimeTimeouts; warn?: (message: string) => void } = {},
  ) {
    this.docker = docker;
    this.engine = engine;
    this.timeouts = options.timeouts ?? defaultTimeouts();
    this.warn = options.warn ?? (() => {});
  }

  private hung(what: string, ms: number): UnavailableError {
    return new UnavailableError(`the Docker engine did not answer ${what} within ${describeMs(ms)}`, {
      where: `Docker engine ${this.engine}`,
      fix: "check the engine (docker info) and restart it if it hangs; then run the command again",
    });
  }

  /** One engine call, with a deadline. */
  call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return withDeadline(work(), this.timeouts.callMs, () => this.hung(what, this.timeouts.callMs));
  }

  /**
   * A long operation (a build, an exec, a copy): settles with `work`, or rejects when the engine
   * stops answering pings while it runs.
   */
  async watch<T>(what: string, work: Promise<T>): Promise<T> {
    const stop = new AbortController();
    const heartbeat = async (): Promise<never> => {
      for (;;) {
        await sleep(this.timeouts.heartbeatMs, undefined, { signal: stop.signal });
        await this.call(`a ping while ${what}`, () => this.docker.ping());
      }
    };
    // Once the work settles, the heartbeat's pending sleep is aborted: it must not keep the process alive.
    const beat = heartbeat();
    beat.catch(() => undefined);
    try {
      return await Promise.race([work, beat]);
    } finally {
      stop.abort();
    }
  }

  /** Whether the engine has the image; an engine that does not answer is an error, not "no". */
  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageId(ref)) !== undefined;
  }

  /** The image's id (sha256:...), or undefined when the engine does not have it. */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      const info = await this.call(`inspecting image ${ref}`, () => this.docker.getImage(ref).inspect());
      return info.Id;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err instanceof UnavailableError ? err : this.unreachable(`inspecting image ${ref}`, err);
    }
  }

  private unreachable(what: string, err: unknown): UnavailableError {
    return new UnavailableError(`the Docker engine failed ${what} (${firstLine(err)})`, {
      where: `Docker engine ${this.engine}`,
      fix: "start it with `bash scripts/local-env.sh up`, or check DOCKER_HOST / profiles.<name>.dockerSocket",
      cause: err,
    });
  }

  /**
   * Pull an image, scanning every event of the stream: the engine reports a failed pull inside a
   * 200 response. Rejects with the engine's own message; callers say what to do about it.
   */
  async pullImage(
    ref: string,
    options: { auth?: object; onEvent?: (event: DockerStreamEvent) => void } = {},
  ): Promise<void> {
    const stream = await this.call(`a pull of ${ref}`, () =>
      this.docker.pull(ref, options.auth ? { authconfig: options.auth } : {}),
    );
    const forget = registerCleanup(() => (stream as unknown as { destroy?: () => void }).destroy?.());
    try {
      await this.watch(
        `pulling ${ref}`,
        followDockerStream(this.docker, stream, options.onEvent ?? (() => {})),
      );
    } finally {
      forget();
    }
  }

  /** Remove a container by id or name, whatever its state; a container that is gone already is fine. */
  async removeContainer(idOrName: string): Promise<void> {
    try {
      await this.call(`removing container ${idOrName}`, () =>
        this.docker.getContainer(idOrName).remove({ force: true, v: true }),
      );
    } catch (err) {
      // 404: already gone; 409: the engine is removing it already.
      if (statusOf(err) === 404 || statusOf(err) === 409) return;
      this.warn(
        `could not remove container ${idOrName} (${firstLine(err)}); remove it with: docker rm -f ${idOrName}`,
      );
    }
  }

  /**
   * Create a container whose removal is registered first. Returns its name and the function that
   * removes it (idempotent); the handles below call it from `finally`.
   */
  private async createRegistered(
    spec: ContainerSpec,
  ): Promise<{ name: string; remove: () => Promise<void> }> {
    const name = `${spec.namePrefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
    let creating: Promise<unknown> = Promise.resolve();
    // A signal during the create request waits for the engine's answer, then removes what it made.
    const cleanup = async () => {
      await creating.catch(() => undefined);
      await this.removeContainer(name);
    };
    const forget = registerCleanup(cleanup);
    let removed: Promise<void> | undefined;
    const remove = () => {
      forget();
      removed ??= cleanup();
      return removed;
    };
    creating = this.call(`creating container ${name}`, () =>
      this.docker.createContainer({
        name,
        Image: spec.image,
        Cmd: spec.cmd,
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        Labels: { ...spec.labels, [CONTAINER_PID_LABEL]: String(process.pid) },
        HostConfig: { Binds: spec.binds ?? [], NetworkMode: spec.networkMode ?? "bridge", AutoRemove: false },
      }),
    );
    try {
      await creating;
    } catch (err) {
      await remove();
      throw err;
    }
    return { name, remove };
  }

  /** A container that sleeps; each command is an exec in it (a container per command costs a second each). */
  async startLongLived(spec: Omit<ContainerSpec, "cmd"> & { cmd?: string[] }): Promise<LongLivedContainer> {
    const { name, remove } = await this.createRegistered({ ...spec, cmd: spec.cmd ?? ["sleep", "infinity"] });
    const handle = new LongLivedContainer(this, name, remove);
    try {
      await this.call(`starting container ${name}`, () => this.docker.getContainer(name).start());
    } catch (err) {
      await remove();
      throw err;
    }
    return handle;
  }

  /** A container that runs its command once: copy files in, run() it to the end, copy files out, remove(). */
  async create(spec: ContainerSpec): Promise<RunToCompletionContainer> {
    const { name, remove } = await this.createRegistered(spec);
    return new RunToCompletionContainer(this, name, remove);
  }
}

/** What every container handle can do: copy files in and out, and remove itself. */
export class ContainerHandle {
  readonly name: string;
  protected readonly runtime: ContainerRuntime;
  /** Removes the container (idempotent) and forgets its cleanup. */
  readonly remove: () => Promise<void>;

  constructor(runtime: ContainerRuntime, name: string, remove: () => Promise<void>) {
    this.runtime = runtime;
    this.name = name;
    this.remove = remove;
  }

  protected get container(): Docker.Container {
    return this.runtime.docker.getContainer(this.name);
  }

  /** Unpack a tar stream at `path` in the container. */
  async putArchive(tar: NodeJS.ReadableStream, path: string): Promise<void> {
    await this.runtime.watch(`copying files into ${this.name}`, this.container.putArchive(tar, { path }));
  }

  /** Whether a file or folder exists in the container. */
  async hasPath(path: string): Promise<boolean> {
    try {
      const tar = await this.runtime.call(`reading ${path} in ${this.name}`, () =>
        this.container.getArchive({ path }),
      );
      tar.resume();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** A tar of `path` in the container (rooted at the path's own name), written into `sink`. */
  async copyOut(path: string, sink: (tar: NodeJS.ReadableStream) => Promise<void>): Promise<void> {
    const tar = await this.runtime.call(`reading ${path} in ${this.name}`, () =>
      this.container.getArchive({ path }),
    );
    await this.runtime.watch(`copying ${path} out of ${this.name}`, sink(tar));
  }

  /** Demultiplex an attach/exec stream into stdout and stderr lines. */
  protected demux(
    stream: NodeJS.ReadableStream,
    stdout: LineSplitter,
    stderr: LineSplitter,
    onStdout?: (chunk: Buffer) => void,
  ): void {
    const sink = (lines: LineSplitter, extra?: (chunk: Buffer) => void) =>
      new Writable({
        write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
          extra?.(chunk);
          lines.push(chunk);
          cb();
        },
      });
    this.runtime.docker.modem.demuxStream(stream, sink(stdout, onStdout), sink(stderr));
  }
}

/** Resolves when a stream has ended (or closed, or errored). */
function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
}

export class LongLivedContainer extends ContainerHandle {
  /** Run argv (never a shell string) to its end; lines of stdout and stderr go to onLine as they come. */
  async exec(argv: string[], onLine?: (line: string) => void): Promise<ExecResult> {
    const what = `${argv[0]} in ${this.name}`;
    const exec = await this.runtime.call(`creating an exec of ${what}`, () =>
      this.container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true }),
    );
    const stream = await this.runtime.call(`starting ${what}`, () =>
      exec.start({ hijack: true, stdin: false }),
    );
    const stdoutLines = new LineSplitter(onLine);
    const stderrLines = new LineSplitter(onLine);
    const chunks: Buffer[] = [];
    this.demux(stream, stdoutLines, stderrLines, (c) => chunks.push(c));
    await this.runtime.watch(`running ${what}`, ended(stream));
    stdoutLines.flush();
    stderrLines.flush();
    const info = await this.runtime.call(`inspecting ${what}`, () => exec.inspect());
    const tail = [...stdoutLines.tail, ...stderrLines.tail].slice(-25);
    return { exitCode: info.ExitCode ?? 1, stdout: Buffer.concat(chunks).toString("utf8"), tail };
  }
}

export class RunToCompletionContainer extends ContainerHandle {
  /**
   * Start the container's command and follow it to its end: stdout and stderr lines (merged, as a
   * build log is) go to onLine. A start that fails removes the container and rethrows the engine's
   * error. After timeoutMs the container is killed and the result says timedOut.
   */
  async run(onLine: (line: string) => void, options: { timeoutMs?: number } = {}): Promise<RunResult> {
    const stream = await this.runtime.call(`attaching to ${this.name}`, () =>
      this.container.attach({ stream: true, stdout: true, stderr: true }),
    );
    const lines = new LineSplitter(onLine);
    this.demux(stream, lines, lines);
    const output = ended(stream).catch(() => undefined);
    try {
      await this.runtime.call(`starting ${this.name}`, () => this.container.start());
    } catch (err) {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      await this.remove();
      throw err;
    }
    const timers = new AbortController();
    try {
      const waited = this.container.wait() as Promise<{ StatusCode: number }>;
      const limit = options.timeoutMs
        ? sleep(options.timeoutMs, "timed out" as const, { signal: timers.signal })
        : new Promise<never>(() => {});
      const result = await this.runtime.watch(`waiting for ${this.name}`, Promise.race([waited, limit]));
      if (result === "timed out") {
        await this.runtime.call(`stopping ${this.name}`, () => this.container.kill()).catch(() => undefined);
        return { exitCode: 137, timedOut: true };
      }
      // The last lines can trail the exit by a moment; do not wait for them forever.
      await Promise.race([output, sleep(2000, undefined, { signal: timers.signal })]);
      return { exitCode: result.StatusCode, timedOut: false };
    } finally {
      timers.abort();
      (stream as unknown as { destroy?: () => void }).destroy?.();
      lines.flush();
    }
  }
}

const runtimes = new WeakMap<Context, ContainerRuntime>();

/** The context's container runtime (one per context, on the context's engine; warnings go to its output). */
export function containerRuntime(ctx: Context): ContainerRuntime {
  let runtime = runtimes.get(ctx);
  if (!runtime) {
    runtime = new ContainerRuntime(ctx.docker(), engineAddress(ctx.config.profile), {
      warn: (message) => ctx.out.warn(message),
    });
    runtimes.set(ctx, runtime);
  }
  return runtime;
}
