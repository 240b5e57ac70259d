import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { registerCleanup } from "./cleanup.ts";
import { LongLivedContainer, RunToCompletionContainer } from "./container-handles.ts";
import type { Context } from "./context.ts";
import { describeMs, withDeadline } from "./deadline.ts";
import {
  type DockerStreamEvent,
  defaultTimeouts,
  engineAddress,
  engineStatus,
  followDockerStream,
  type RuntimeTimeouts,
} from "./docker.ts";
import { firstLine, UnavailableError } from "./errors.ts";

/**
 * The container runtime: the only code in prebake that creates, starts, execs in, waits for or
 * removes containers and volumes, pulls images or asks whether the engine has one. Its promises:
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

  /**
   * One engine call, with a deadline. The call gets an AbortSignal to hand to dockerode, so a call
   * that runs out of time is aborted, not just abandoned (its socket would keep the process alive).
   */
  call<T>(what: string, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    return withDeadline(work(abort.signal), this.timeouts.callMs, () => {
      abort.abort();
      return this.hung(what, this.timeouts.callMs);
    });
  }

  /**
   * A long operation (a build, an exec, a copy, a container's run): settles with `work`, or
   * rejects (and aborts the work's signal) once the engine stops answering pings while it runs.
   */
  async watch<T>(what: string, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    const stop = new AbortController();
    const heartbeat = async (): Promise<never> => {
      for (;;) {
        await sleep(this.timeouts.heartbeatMs, undefined, { signal: stop.signal });
        // dockerode takes the signal at run time; its type declarations lack the options argument.
        const ping = this.docker.ping as unknown as (options: {
          abortSignal: AbortSignal;
        }) => Promise<unknown>;
        await this.call(`a ping while ${what}`, (abortSignal) => ping.call(this.docker, { abortSignal }));
      }
    };
    const beat = heartbeat();
    beat.catch(() => undefined);
    try {
      return await Promise.race([work(abort.signal), beat]);
    } catch (err) {
      abort.abort();
      throw err;
    } finally {
      // The heartbeat's pending sleep must not keep the process alive once the work settled.
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
      if (engineStatus(err) === 404) return undefined;
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
    const stream = await this.call(`a pull of ${ref}`, (abortSignal) =>
      this.docker.pull(ref, { ...(options.auth ? { authconfig: options.auth } : {}), abortSignal }),
    );
    const close = () => (stream as unknown as { destroy?: () => void }).destroy?.();
    const forget = registerCleanup(close);
    try {
      await this.watch(`pulling ${ref}`, (abortSignal) => {
        abortSignal.addEventListener("abort", close);
        return followDockerStream(this.docker, stream, options.onEvent ?? (() => {}));
      });
    } finally {
      forget();
    }
  }

  /**
   * A named volume that outlives containers (a build cache): created with its labels when
   * missing, left as it is when it exists. Mount it with `binds: ["<name>:<path>"]`.
   */
  async ensureVolume(name: string, labels: Record<string, string> = {}): Promise<void> {
    try {
      await this.call(`creating volume ${name}`, (abortSignal) =>
        this.docker.createVolume({ Name: name, Labels: labels, abortSignal } as Docker.VolumeCreateOptions),
      );
    } catch (err) {
      throw err instanceof UnavailableError ? err : this.unreachable(`creating volume ${name}`, err);
    }
  }

  /** Remove a named volume; one that is gone already is fine. */
  async removeVolume(name: string): Promise<void> {
    try {
      await this.call(`removing volume ${name}`, (abortSignal) =>
        this.docker.getVolume(name).remove({ abortSignal }),
      );
    } catch (err) {
      if (engineStatus(err) === 404) return;
      throw err instanceof UnavailableError ? err : this.unreachable(`removing volume ${name}`, err);
    }
  }

  /** Remove an image from the engine (a cold build's "nothing of it is reused"); a missing one is fine. */
  async removeImage(ref: string): Promise<void> {
    try {
      await this.call(`removing image ${ref}`, (abortSignal) =>
        this.docker.getImage(ref).remove({ force: true, abortSignal }),
      );
    } catch (err) {
      if (engineStatus(err) === 404) return;
      throw err instanceof UnavailableError ? err : this.unreachable(`removing image ${ref}`, err);
    }
  }

  /** Remove a container by id or name, whatever its state; a container that is gone already is fine. */
  async removeContainer(idOrName: string): Promise<void> {
    try {
      await this.call(`removing container ${idOrName}`, (abortSignal) =>
        this.docker.getContainer(idOrName).remove({ force: true, v: true, abortSignal }),
      );
    } catch (err) {
      // 404: already gone; 409: the engine is removing it already.
      if (engineStatus(err) === 404 || engineStatus(err) === 409) return;
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
    creating = this.call(`creating container ${name}`, (abortSignal) =>
      this.docker.createContainer({
        abortSignal,
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
      await this.call(`starting container ${name}`, (abortSignal) =>
        this.docker.getContainer(name).start({ abortSignal }),
      );
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
