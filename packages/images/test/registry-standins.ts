/**
 * Registries a test owns: a docker-registry process (optionally demanding basic auth) on a port the
 * OS assigns and the registry holds from the start, and a fault proxy in front of any registry that
 * refuses chosen requests or cuts blob uploads after N bytes. Never the shared services.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";

/** A bcrypt htpasswd line through libcrypt (perl's crypt), as scripts/local-env.sh writes it. */
export function htpasswdLine(user: string, password: string): string {
  const salt = randomBytes(48)
    .toString("base64")
    .replace(/[^A-Za-z0-9./]/g, "")
    .slice(0, 22);
  const hash = execFileSync("perl", ["-e", "print crypt($ENV{PW}, $ARGV[0])", `$2y$05$${salt}`], {
    env: { ...process.env, PW: password },
    encoding: "utf8",
  });
  if (!/^\$2[aby]\$/.test(hash)) throw new Error("perl's crypt has no bcrypt on this machine");
  return `${user}:${hash}\n`;
}

export interface OwnRegistry {
  /** 127.0.0.1:<port the OS assigned> */
  address: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Start a docker-registry on `dir` (its data and config live there), listening on 127.0.0.1:0: the
 * OS assigns the port and the registry holds it from the start; its log names it. With `password`,
 * it demands basic auth for user AWS, as ECR does.
 */
export async function startOwnRegistry(
  dir: string,
  options: { password?: string } = {},
): Promise<OwnRegistry> {
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  let auth = "";
  if (options.password !== undefined) {
    writeFileSync(join(dir, "htpasswd"), htpasswdLine("AWS", options.password), { mode: 0o600 });
    auth = `auth:\n  htpasswd: { realm: prebake-test, path: "${join(dir, "htpasswd")}" }\n`;
  }
  const config = join(dir, "registry.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: info }\nstorage:\n  filesystem: { rootdirectory: "${dataDir}" }\n  delete: { enabled: true }\nhttp: { addr: "127.0.0.1:0" }\n${auth}`,
  );
  const child: ChildProcess = spawn("/usr/bin/docker-registry", ["serve", config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start: ${log}`)), 20_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`docker-registry exited (${code}): ${log}`)));
  });
  // Keep draining its log so the pipe never fills.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    address,
    dataDir,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface FaultProxy {
  /** 127.0.0.1:<port the OS assigned>; the proxy holds it. */
  readonly address: string;
  /** Blob upload bytes forwarded so far (PATCH/PUT bodies under /blobs/uploads/). */
  uploadedBytes: number;
  /**
   * Once the forwarded upload bytes would pass this, the upload is cut there (the registry's side
   * aborted) and, after the client sent the rest, answered with `failUploadsWith`.
   */
  failUploadsAfter: number | undefined;
  /** Default 500, as a registry whose storage refuses writes answers. */
  failUploadsWith: number;
  /** A request this returns a status for is answered with it (a registry error body) instead of forwarded. */
  refuse: ((method: string, path: string) => number | undefined) | undefined;
  close(): Promise<void>;
}

const REFUSAL = JSON.stringify({
  errors: [{ code: "UNAVAILABLE", message: "refused by the test's fault proxy" }],
});

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/json", connection: "close" });
  res.end(REFUSAL);
}

/**
 * A loopback HTTP proxy in front of `upstream` (host:port). The Host header is passed unchanged,
 * so the registry's upload Location URLs point back at the proxy and every request goes through it.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [host, port] = upstream.split(":");
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    const refusal = proxy.refuse?.(method, path);
    if (refusal) {
      req.resume();
      return answer(res, refusal);
    }
    const out = httpRequest({ host, port: Number(port), method, path, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    let refused = false;
    out.on("error", () => {
      if (!refused) res.destroy();
    });
    const upload = /\/blobs\/uploads\//.test(path) && (method === "PATCH" || method === "PUT");
    if (!upload) {
      req.pipe(out);
      return;
    }
    req.on("data", (chunk: Buffer) => {
      if (refused) return; // the rest of the body is read and dropped, so the answer is heard
      const limit = proxy.failUploadsAfter;
      if (limit !== undefined && proxy.uploadedBytes + chunk.length > limit) {
        refused = true;
        out.destroy(); // the registry never sees this upload finish
        req.resume();
        return;
      }
      proxy.uploadedBytes += chunk.length;
      if (!out.write(chunk)) {
        req.pause();
        out.once("drain", () => req.resume());
      }
    });
    req.on("end", () => (refused ? answer(res, proxy.failUploadsWith) : out.end()));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const bound = server.address();
  const proxy: FaultProxy = {
    address: `127.0.0.1:${typeof bound === "object" && bound ? bound.port : 0}`,
    uploadedBytes: 0,
    failUploadsAfter: undefined,
    failUploadsWith: 500,
    refuse: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
