import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import type { ContainerRuntime } from "./containers.ts";
import { engineStatus } from "./docker.ts";
import { LineSplitter } from "./lines.ts";

/** Containers made by the runtime (containers.ts): what a caller can do with one. */

export interface ExecResult {
  exitCode: number;
  stdout: string;
  /** The last lines of stdout and stderr, for error messages. */
  tail: string[];
}

/** How a run-to-completion container ended. */
export interface ContainerExit {
  exitCode: number;
  /** The container outlived its time limit and was killed. */
  timedOut: boolean;
}

type Destroyable = NodeJS.ReadableStream & { destroy?: () => void };

/** A path's stat as the engine reports it (Go's os.FileMode bits in `mode`). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

/** Resolves when a stream has ended (or closed); rejects when it errors. */
function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
}

/** A writable that hands each chunk to a line splitter (and, optionally, keeps it whole). */
function lineSink(lines: LineSplitter, keep?: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      keep?.(chunk);
      lines.push(chunk);
      done();
    },
  });
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
    await this.runtime.watch(`copying files into ${this.name}`, (abortSignal) =>
      this.container.putArchive(tar, { path, abortSignal }),
    );
  }

  /** Whether a file or folder exists in the container. */
  async hasPath(path: string): Promise<boolean> {
    try {
      const tar = await this.runtime.call(`reading ${path} in ${this.name}`, (abortSignal) =>
        this.container.getArchive({ path, abortSignal }),
      );
      (tar as Destroyable).destroy?.();
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw err;
    }
  }

  /**
   * What the engine knows about a path in the container, without reading it (the archive API's
   * HEAD: works on a container that never started, and on an image without a shell); undefined
   * when it does not exist. `linkTarget` is the symlink's target resolved inside the container.
   */
  async statPath(path: string): Promise<PathStat | undefined> {
    try {
      const res = (await this.runtime.call(`looking up ${path} in ${this.name}`, (abortSignal) =>
        this.container.infoArchive({ path, abortSignal }),
      )) as NodeJS.ReadableStream & { headers?: Record<string, string | undefined> };
      res.resume();
      const header = res.headers?.["x-docker-container-path-stat"];
      if (!header) return undefined;
      return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PathStat;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** A tar of `path` in the container (rooted at the path's own name), written into `sink`. */
  async copyOut(path: string, sink: (tar: NodeJS.ReadableStream) => Promise<void>): Promise<void> {
    const tar = await this.runtime.call(`reading ${path} in ${this.name}`, (abortSignal) =>
      this.container.getArchive({ path, abortSignal }),
    );
    await this.runtime.watch(`copying ${path} out of ${this.name}`, (abortSignal) => {
      abortSignal.addEventListener("abort", () => (tar as Destroyable).destroy?.());
      return sink(tar);
    });
  }

  /** Demultiplex an attach/exec stream into stdout and stderr lines. */
  protected demux(
    stream: NodeJS.ReadableStream,
    stdout: LineSplitter,
    stderr: LineSplitter,
    keepStdout?: (chunk: Buffer) => void,
  ): void {
    this.runtime.docker.modem.demuxStream(stream, lineSink(stdout, keepStdout), lineSink(stderr));
  }
}

export class LongLivedContainer extends ContainerHandle {
  /**
   * Run argv (never a shell string) to its end; lines of stdout and stderr go to onLine as they come.
   * `env` is added to the container's environment for this command only: the place for a credential,
   * which in argv anyone on the host would read with `ps`.
   */
  async exec(
    argv: string[],
    onLine?: (line: string) => void,
    env?: Record<string, string>,
  ): Promise<ExecResult> {
    const what = `${argv[0]} in ${this.name}`;
    const Env = env ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : undefined;
    const exec = await this.runtime.call(`creating an exec of ${what}`, (abortSignal) =>
      this.container.exec({
        Cmd: argv,
        ...(Env ? { Env } : {}),
        AttachStdout: true,
        AttachStderr: true,
        abortSignal,
      }),
    );
    const stream = await this.runtime.call(`starting ${what}`, (abortSignal) =>
      exec.start({ hijack: true, stdin: false, abortSignal }),
    );
    const stdoutLines = new LineSplitter(onLine);
    const stderrLines = new LineSplitter(onLine);
    const chunks: Buffer[] = [];
    this.demux(stream, stdoutLines, stderrLines, (c) => chunks.push(c));
    await this.runtime.watch(`running ${what}`, (abortSignal) => {
      abortSignal.addEventListener("abort", () => (stream as Destroyable).destroy?.());
      return ended(stream);
    });
    stdoutLines.flush();
    stderrLines.flush();
    const info = await this.runtime.call(`inspecting ${what}`, (abortSignal) =>
      exec.inspect({ abortSignal }),
    );
    const tail = [...stdoutLines.tail, ...stderrLines.tail].slice(-25);
    return { exitCode: info.ExitCode ?? 1, stdout: Buffer.concat(chunks).toString("utf8"), tail };
  }
}

export class RunToCompletionContainer extends ContainerHandle {
  /**
   * Start the container's command and follow it to its end: stdout and stderr lines (merged, as a
   * build log is) go to onLine, or stderr's to onStderrLine when given (a channel of its own, as
   * the CodeBuild driver's markers are). A start that fails removes the container and rethrows the
   * engine's error. After timeoutMs the container is killed and the result says timedOut.
   */
  async run(
    onLine: (line: string) => void,
    options: { timeoutMs?: number; onStderrLine?: (line: string) => void } = {},
  ): Promise<ContainerExit> {
    const stream = (await this.runtime.call(`attaching to ${this.name}`, (abortSignal) =>
      this.container.attach({ stream: true, stdout: true, stderr: true, abortSignal }),
    )) as Destroyable;
    // One splitter per stream: a stdout line still waiting for its newline must not swallow the
    // stderr line that arrives meanwhile.
    const stdoutLines = new LineSplitter(onLine);
    const stderrLines = new LineSplitter(options.onStderrLine ?? onLine);
    this.demux(stream, stdoutLines, stderrLines);
    const output = ended(stream).catch(() => undefined);
    try {
      await this.runtime.call(`starting ${this.name}`, (abortSignal) =>
        this.container.start({ abortSignal }),
      );
    } catch (err) {
      stream.destroy?.();
      await this.remove();
      throw err;
    }
    const timers = new AbortController();
    try {
      const result = await this.runtime.watch(`waiting for ${this.name}`, (abortSignal) => {
        const waited = this.container.wait({ abortSignal }) as Promise<{ StatusCode: number }>;
        const limit = options.timeoutMs
          ? sleep(options.timeoutMs, "timed out" as const, { signal: timers.signal })
          : new Promise<never>(() => {});
        return Promise.race([waited, limit]);
      });
      if (result === "timed out") {
        await this.runtime
          .call(`stopping ${this.name}`, (abortSignal) => this.container.kill({ abortSignal }))
          .catch(() => undefined);
        return { exitCode: 137, timedOut: true };
      }
      // The last lines can trail the exit by a moment; do not wait for them forever.
      await Promise.race([output, sleep(2000, undefined, { signal: timers.signal })]);
      return { exitCode: result.StatusCode, timedOut: false };
    } finally {
      timers.abort();
      stream.destroy?.();
      stdoutLines.flush();
      stderrLines.flush();
    }
  }
}
