import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { BuildFailedError, firstLine, UnavailableError } from "@prebake/core";
import type Docker from "dockerode";

/** The result of one command; `tail` keeps the last lines for error messages. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  tail: string[];
}

/**
 * Where the layer build's commands run: in a python-layer container (local engine), or directly
 * when prebake itself runs inside that image (the CodeBuild layer project). Commands are argv
 * arrays, never shell strings: no quoting bugs, and argv length is what batching controls.
 */
export interface CommandRunner {
  readonly description: string;
  run(argv: string[], onLine?: (line: string) => void): Promise<RunResult>;
  close(): Promise<void>;
}

const TAIL_LINES = 25;

function lineCollector(onLine?: (line: string) => void) {
  const tail: string[] = [];
  let partial = "";
  const push = (chunk: string) => {
    partial += chunk;
    const lines = partial.split(/\r?\n/);
    partial = lines.pop() ?? "";
    for (const line of lines) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine?.(line);
    }
  };
  const flush = () => {
    if (partial) push("\n");
  };
  return { tail, push, flush };
}

/** Runs commands on this machine (inside the python-layer image, e.g. in CodeBuild). */
export class HostRunner implements CommandRunner {
  readonly description = "this machine (inside the python-layer image)";

  run(argv: string[], onLine?: (line: string) => void): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const [cmd, ...args] = argv;
      const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      const lines = lineCollector(onLine);
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
        lines.push(c.toString("utf8"));
      });
      child.stderr.on("data", (c: Buffer) => lines.push(c.toString("utf8")));
      child.on("error", (err) =>
        reject(
          new BuildFailedError(`cannot run ${cmd}: ${err.message}`, { where: "layer build", cause: err }),
        ),
      );
      child.on("close", (code) => {
        lines.flush();
        resolve({ exitCode: code ?? 1, stdout, tail: lines.tail });
      });
    });
  }

  async close(): Promise<void> {}
}

export interface ContainerSpec {
  image: string;
  /** host path -> container path, read-only unless in `writable`. */
  binds: { host: string; container: string; readOnly: boolean }[];
  /** Named volumes: name -> container path (the pip cache). */
  volumes?: Record<string, string>;
  env?: Record<string, string>;
  name: string;
}

/**
 * One long-lived container (sleeping) in which each command is an exec: starting a container per
 * pip batch would cost a second each. Host networking so a loopback index URL works too.
 */
export class ContainerRunner implements CommandRunner {
  readonly description: string;
  private readonly docker: Docker;
  private readonly container: Docker.Container;

  private constructor(docker: Docker, container: Docker.Container, image: string) {
    this.docker = docker;
    this.container = container;
    this.description = `a ${image} container`;
  }

  static async start(docker: Docker, spec: ContainerSpec): Promise<ContainerRunner> {
    const binds = [
      ...spec.binds.map((b) => `${b.host}:${b.container}:${b.readOnly ? "ro" : "rw"}`),
      ...Object.entries(spec.volumes ?? {}).map(([name, path]) => `${name}:${path}:rw`),
    ];
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        Image: spec.image,
        name: spec.name,
        Cmd: ["sleep", "infinity"],
        Entrypoint: [],
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: { "prebake.role": "layer-build" },
        HostConfig: { Binds: binds, NetworkMode: "host", AutoRemove: false },
      });
      await container.start();
    } catch (err) {
      throw new UnavailableError(`cannot start a ${spec.image} container (${firstLine(err)})`, {
        where: "Docker engine",
        fix: "check that the image exists (prebake build-image python-layer) and the engine runs",
        cause: err,
      });
    }
    return new ContainerRunner(docker, container, spec.image);
  }

  async run(argv: string[], onLine?: (line: string) => void): Promise<RunResult> {
    const exec = await this.container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = "";
    const lines = lineCollector(onLine);
    out.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      lines.push(c.toString("utf8"));
    });
    err.on("data", (c: Buffer) => lines.push(c.toString("utf8")));
    this.docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
    lines.flush();
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? 1, stdout, tail: lines.tail };
  }

  async close(): Promise<void> {
    await this.container.remove({ force: true }).catch(() => undefined);
  }
}
