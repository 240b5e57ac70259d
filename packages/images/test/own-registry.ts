/**
 * A registry a test owns: a docker-registry process (optionally demanding basic auth, as ECR does)
 * on a port the OS assigns and the registry holds from the start. Never the shared services. (For a
 * registry that fails part of the way, put core's HoldingProxy in front of one.)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
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
