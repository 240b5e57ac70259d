/**
 * Fault-injection tools for the signal tests: they hold a real step open (so a signal always
 * lands while it runs) without faking the engine, the registry or pip.
 * - Gates: an HTTP server on loopback. GET /gate/<name> is answered only once that gate is
 *   open; /pypi/<path> serves a small index the test builds (layers' makeTestIndex) once the
 *   "pypi" gate is open.
 *   A RUN step, a buildspec command, pip and a Python import wait on it over host networking.
 * - HoldingProxy: forwards to a real service (the registry, the emulator) but holds the requests
 *   it is told to while holding, so a push or a remote build stays in flight for as long as needed.
 * - FreezableSocketProxy: the real Docker engine behind a socket that can stop answering.
 * - CliRun: the real CLI as a child process on Node 24, with its output and exit.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join, normalize, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../../..");
export const CLI = join(REPO, "packages/cli/bin/prebake.js");
export const NODE = join(REPO, "node_modules/.bin/node");

async function listen(server: Server): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return (server.address() as AddressInfo).port;
}

/** A loopback port the OS assigned, held open until the caller is about to hand it on. */
export interface ReservedPort {
  port: number;
  /** Frees the port: call it right before starting the process that binds it. */
  release(): Promise<void>;
}

/**
 * Asks the OS for a free port and keeps it bound, so nothing else on the machine takes it while the
 * test prepares (a config file naming it, say). A child process (moto_server, docker-registry)
 * cannot inherit the socket, so the test releases it just before spawning that child.
 */
export async function reservePort(): Promise<ReservedPort> {
  const server = createServer();
  const port = await listen(server);
  return { port, release: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/**
 * A loopback port nothing listens on, for "unreachable" tests: one the OS handed out and that was
 * let go again (a freshly released port is not handed out again at once), rather than a guessed
 * number some service on the machine might use.
 */
export async function closedPort(): Promise<number> {
  const reserved = await reservePort();
  await reserved.release();
  return reserved.port;
}

export class Gates {
  port = 0;
  /** The folder /pypi/ serves (holding simple/ and files/); nothing is served until it is set. */
  pypiRoot: string | undefined;
  private readonly open = new Set<string>();
  private readonly held = new Map<string, (() => void)[]>();
  private readonly server = createServer((req, res) => this.handle(req.url ?? "/", res));

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  /** Let everything waiting on (and later asking for) this gate through. */
  release(name: string): void {
    this.open.add(name);
    for (const go of this.held.get(name) ?? []) go();
    this.held.delete(name);
  }

  close(name: string): void {
    this.open.delete(name);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private whenOpen(name: string, go: () => void): void {
    if (this.open.has(name)) {
      go();
      return;
    }
    this.held.set(name, [...(this.held.get(name) ?? []), go]);
  }

  private handle(url: string, res: ServerResponse): void {
    const path = decodeURIComponent(url.split("?")[0]!);
    if (path.startsWith("/gate/")) {
      this.whenOpen(path.slice(6), () => res.end("open\n"));
      return;
    }
    if (path.startsWith("/pypi/")) {
      const root = this.pypiRoot;
      this.whenOpen("pypi", () => serveFile(root, root && join(root, normalize(path.slice(6))), res));
      return;
    }
    res.statusCode = 404;
    res.end();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }
}

function serveFile(root: string | undefined, file: string | undefined, res: ServerResponse): void {
  const target = file && existsSync(file) && statSync(file).isDirectory() ? join(file, "index.html") : file;
  if (!root || !target?.startsWith(root) || !existsSync(target)) {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader("content-type", target.endsWith(".html") ? "text/html" : "application/octet-stream");
  createReadStream(target).pipe(res);
}

/**
 * An HTTP proxy in front of a real service (the registry, the AWS emulator) that holds the requests
 * `shouldHold` picks while `holding` is on: the service stays real, only its answer is late. release()
 * forwards what was held, so the service's own state moves on as if nothing happened. Requests
 * `shouldFail` picks are answered 500 (a service that fails part of the way); with
 * `cutUploadsAfter`, a blob upload is cut mid-body (a registry whose storage refuses writes).
 */
export class HoldingProxy {
  port = 0;
  holding = true;
  /** Blob upload bytes forwarded so far (PATCH/PUT bodies under /blobs/uploads/). */
  uploadedBytes = 0;
  /**
   * Once the forwarded upload bytes would pass this, the upload is cut there (the service never
   * sees it finish) and, after the client sent the rest, answered 500: the client hears a refusal,
   * not a broken connection.
   */
  cutUploadsAfter: number | undefined;
  private held: (() => void)[] = [];
  private readonly server: Server;

  constructor(
    upstream: { host: string; port: number },
    shouldHold: (req: IncomingMessage) => boolean,
    /** Requests answered 500 at once, without reaching the service (a failing blob download). */
    shouldFail: (req: IncomingMessage) => boolean = () => false,
  ) {
    const forward = (req: IncomingMessage, res: ServerResponse) => {
      const up = request(
        { ...upstream, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      let cut = false;
      up.on("error", () => {
        if (!cut) res.destroy();
      });
      const upload =
        /\/blobs\/uploads\//.test(req.url ?? "") && (req.method === "PATCH" || req.method === "PUT");
      if (!upload) {
        req.pipe(up);
        return;
      }
      req.on("data", (chunk: Buffer) => {
        if (cut) return; // the rest of the body is read and dropped, so the answer is heard
        if (this.cutUploadsAfter !== undefined && this.uploadedBytes + chunk.length > this.cutUploadsAfter) {
          cut = true;
          up.destroy();
          req.resume();
          return;
        }
        this.uploadedBytes += chunk.length;
        if (!up.write(chunk)) {
          req.pause();
          up.once("drain", () => req.resume());
        }
      });
      req.on("end", () => {
        if (!cut) return void up.end();
        res.writeHead(500, { "content-type": "application/json", connection: "close" });
        res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "storage refused the write" }] }));
      });
    };
    this.server = createServer((req, res) => {
      if (shouldFail(req)) {
        res.statusCode = 500;
        res.end();
        return;
      }
      // A held request whose client gave up is dropped on release, not forwarded.
      if (this.holding && shouldHold(req)) this.held.push(() => !req.socket.destroyed && forward(req, res));
      else forward(req, res);
    });
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  /** How many requests are held now. */
  get heldCount(): number {
    return this.held.length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }
}

/** Holds every blob upload of a push: the push stays in flight for as long as the test needs. */
export const holdBlobUploads = (req: IncomingMessage) =>
  req.method === "POST" && /\/blobs\/uploads\/?/.test(req.url ?? "");

/**
 * A unix socket in front of the real Docker engine that can freeze: while frozen, nothing passes
 * either way (new connections are accepted and left waiting), as with an engine that hangs.
 */
export class FreezableSocketProxy {
  readonly path = join(mkdtempSync(join(tmpdir(), "prebake-engine-")), "docker.sock");
  private frozen = false;
  private readonly parked: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: NetServer;

  constructor(upstream = "/var/run/docker.sock") {
    this.server = createNetServer((client) => {
      const up = connect(upstream);
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => this.sockets.delete(s));
      }
      const relay = (from: Socket, to: Socket) => {
        from.on("data", (chunk) => this.pass(() => to.write(chunk)));
        from.on("end", () => this.pass(() => to.end()));
      };
      relay(client, up);
      relay(up, client);
    });
  }

  private pass(send: () => void): void {
    if (this.frozen) this.parked.push(send);
    else send();
  }

  async start(): Promise<this> {
    await new Promise<void>((ok) => this.server.listen(this.path, ok));
    return this;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const send of this.parked.splice(0)) send();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((ok) => this.server.close(ok));
  }
}

/** The real CLI in a child process (Node 24), its output collected as it comes. */
export class CliRun {
  readonly child: ChildProcess;
  /** stdout and stderr as they came, interleaved. */
  output = "";
  stdout = "";
  readonly exited: Promise<number | null>;

  constructor(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(NODE, [CLI, ...args], { cwd, env: { ...process.env, CI: "true", ...env } });
    this.child.stdout!.on("data", (d) => {
      this.output += String(d);
      this.stdout += String(d);
    });
    this.child.stderr!.on("data", (d) => {
      this.output += String(d);
    });
    this.exited = new Promise((ok) => this.child.on("exit", (code) => ok(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once the output matches; rejects (with the output) after timeoutMs or if the CLI exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 240_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (pattern.test(this.output)) return;
      if (this.child.exitCode !== null)
        throw new Error(`exited ${this.child.exitCode} before ${pattern}:\n${this.output}`);
      if (Date.now() - started > timeoutMs)
        throw new Error(`no ${pattern} in ${timeoutMs} ms:\n${this.output}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }

  /** Send a signal; resolves with the exit code. */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/**
 * Run the CLI to its end. Asynchronously: the gates answer from this process, so a synchronous
 * spawn would hold them shut.
 */
export async function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = new CliRun(cwd, args, env);
  const code = await run.exited;
  return { code, output: run.output, stdout: run.stdout };
}

/** Containers (running or not) that carry a label, e.g. `prebake.pid=1234`. */
export function containersWithLabel(label: string): string[] {
  const r = spawnSync("docker", ["ps", "-aq", "--filter", `label=${label}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split("\n").filter(Boolean);
}

/**
 * Containers of one prebake process: the runtime labels each with its pid (and names carry it);
 * the codebuild runner's own pid label counts too.
 */
export function containersOf(pid: number): string[] {
  const r = spawnSync("docker", ["ps", "-aq", "--filter", `name=-${pid}-`], { encoding: "utf8" });
  const named = r.stdout.split("\n").filter(Boolean);
  return [
    ...new Set([
      ...containersWithLabel(`prebake.pid=${pid}`),
      ...containersWithLabel(`prebake.codebuild.pid=${pid}`),
      ...named,
    ]),
  ];
}
