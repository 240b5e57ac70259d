import { spawn } from "node:child_process";
import {
  BuildFailedError,
  type Context,
  containerRuntime,
  type ExecResult,
  firstLine,
  isPrebakeError,
  LineSplitter,
  type LongLivedContainer,
  UnavailableError,
} from "@prebake/core";

/**
 * Where the layer build's commands run: in a python-layer container (local engine), or directly
 * when prebake itself runs inside that image (the CodeBuild layer project). Commands are argv
 * arrays, never shell strings: no quoting bugs, and argv length is what batching controls.
 */
export interface CommandRunner {
  readonly description: string;
  /** `env` is added for this command only (credentials go there, never in argv: `ps` shows argv). */
  run(argv: string[], onLine?: (line: string) => void, env?: Record<string, string>): Promise<ExecResult>;
  close(): Promise<void>;
}

/**
 * This process's environment without pip's own variables: a layer build's pip sees only the
 * settings the build gives it (as `pip --isolated` would, which would also ignore those).
 */
const withoutPipSettings = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("PIP_")));

/** Runs commands on this machine (inside the python-layer image, e.g. in CodeBuild). */
export class HostRunner implements CommandRunner {
  readonly description = "this machine (inside the python-layer image)";

  run(argv: string[], onLine?: (line: string) => void, env?: Record<string, string>): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const [cmd, ...args] = argv;
      const child = spawn(cmd!, args, {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...withoutPipSettings(process.env), ...env },
      });
      let stdout = "";
      const out = new LineSplitter(onLine);
      const err = new LineSplitter(onLine);
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
        out.push(c);
      });
      child.stderr.on("data", (c: Buffer) => err.push(c));
      child.on("error", (e) =>
        reject(new BuildFailedError(`cannot run ${cmd}: ${e.message}`, { where: "layer build", cause: e })),
      );
      child.on("close", (code) => {
        out.flush();
        err.flush();
        resolve({ exitCode: code ?? 1, stdout, tail: [...out.tail, ...err.tail].slice(-25) });
      });
    });
  }

  async close(): Promise<void> {}
}

/** The python-layer container a build runs its commands in (core's ContainerSpec is made from it). */
export interface LayerContainerSpec {
  image: string;
  /** host path -> container path, read-only unless `readOnly` is false. */
  binds: { host: string; container: string; readOnly: boolean }[];
  /** Named volumes: name -> container path (the pip cache). */
  volumes?: Record<string, string>;
  env?: Record<string, string>;
  /** The readable start of the container's name (the runtime adds the pid and a random suffix). */
  namePrefix: string;
}

/**
 * One long-lived container (sleeping) in which each command is an exec: starting a container per
 * pip batch would cost a second each. Host networking so a loopback index URL works too. The
 * runtime removes it on close, on failure and on any signal.
 */
export class ContainerRunner implements CommandRunner {
  readonly description: string;
  private readonly container: LongLivedContainer;

  private constructor(container: LongLivedContainer, image: string) {
    this.container = container;
    this.description = `a ${image} container`;
  }

  static async start(ctx: Context, spec: LayerContainerSpec): Promise<ContainerRunner> {
    try {
      const container = await containerRuntime(ctx).startLongLived({
        image: spec.image,
        namePrefix: spec.namePrefix,
        entrypoint: [],
        env: spec.env,
        labels: { "prebake.role": "layer-build" },
        binds: [
          ...spec.binds.map((b) => `${b.host}:${b.container}:${b.readOnly ? "ro" : "rw"}`),
          ...Object.entries(spec.volumes ?? {}).map(([name, path]) => `${name}:${path}:rw`),
        ],
        networkMode: "host",
      });
      return new ContainerRunner(container, spec.image);
    } catch (err) {
      if (isPrebakeError(err)) throw err;
      throw new UnavailableError(`cannot start a ${spec.image} container (${firstLine(err)})`, {
        where: "Docker engine",
        fix: "check that the image exists (prebake build-image python-layer) and the engine runs",
        cause: err,
      });
    }
  }

  run(argv: string[], onLine?: (line: string) => void, env?: Record<string, string>): Promise<ExecResult> {
    return this.container.exec(argv, onLine, env);
  }

  close(): Promise<void> {
    return this.container.remove();
  }
}
