import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerRuntime, type Context, registerCleanup, UnavailableError } from "@prebake/core";
import Docker from "dockerode";
import { createEngineBridge, type EngineBridge, removeEngineBridge } from "./check-bridge.ts";

/**
 * A throw-away Docker engine: a second dockerd with its own data-root, exec-root, pidfile and
 * socket, its own Linux bridge (never `--bridge=none`: that makes dockerd delete the host's docker0)
 * and no iptables rules or forwarding change, so nothing of the shared engine (its images,
 * containers, networks, firewall) is read or changed. It starts empty, which is the point: a pull into it
 * downloads and unpacks every layer, as CodeBuild's PROVISIONING does for a custom image. Stopped and
 * deleted (data-root and bridge included) by stop(), on a failed start, and on SIGINT/SIGTERM/SIGHUP.
 */
export interface ThrowawayEngine {
  /** The runtime on this engine: every container and pull goes through it. */
  runtime: ContainerRuntime;
  /** The folder holding everything of this engine (socket, data-root, exec-root, log). */
  dir: string;
  /** The engine's own bridge, deleted by stop(). */
  bridge: EngineBridge;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** dockerd on PATH, or where Debian and Docker's packages put it (root's PATH may lack /usr/sbin). */
function findDockerd(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/bin", "/usr/local/bin"];
  return dirs
    .filter((dir) => dir.startsWith("/"))
    .map((dir) => join(dir, "dockerd"))
    .find((path) => existsSync(path));
}

const logTail = (file: string) => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "no log";
  }
};

/** Unmount what the engine left mounted under its folder (overlay2 bind-mounts its home), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  let mounts: string[];
  try {
    mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m === dir || m.startsWith(`${dir}/`));
  } catch {
    return;
  }
  for (const m of mounts.sort().reverse()) {
    await new Promise((resolve) => execFile("umount", ["-l", m], () => resolve(undefined)));
  }
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<true>((resolve) => child.once("exit", () => resolve(true)));
  return Promise.race([exited, sleep(ms, false)]);
}

/** Stop dockerd (it stops its containerd), then remove its bridge and folder; SIGKILL to its process group if it hangs. */
async function shutDown(
  child: ChildProcess | undefined,
  dir: string,
  bridge: EngineBridge | undefined,
): Promise<void> {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone already
      }
      await waitForExit(child, 5_000);
    }
  }
  if (bridge) await removeEngineBridge(bridge.name);
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

async function waitUntilAnswering(docker: Docker, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new UnavailableError(`the throw-away dockerd exited at start (${logTail(log)})`, {
        where: "dockerd",
        fix: "check that dockerd runs on this machine (root, cgroups, overlay2); its log is in the message",
      });
    }
    try {
      await docker.ping();
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new UnavailableError(
          `the throw-away dockerd did not answer within ${START_TIMEOUT_MS / 1000} s (${logTail(log)})`,
          { where: "dockerd", fix: "check the machine's load and dockerd's log, then run again" },
        );
      }
      await sleep(250);
    }
  }
}

/**
 * Start an empty engine in a new folder under `workDir` (default: the OS temp folder).
 * `insecureRegistry`: a plain-HTTP registry it may pull from (the local profile's, when not on loopback).
 */
export async function startThrowawayEngine(
  ctx: Context,
  options: { workDir?: string; insecureRegistry?: string } = {},
): Promise<ThrowawayEngine> {
  const dockerd = findDockerd();
  if (process.getuid?.() !== 0 || !dockerd) {
    throw new UnavailableError(
      dockerd
        ? "measuring a pull into an empty engine starts a throw-away dockerd, which needs root"
        : "dockerd is not installed",
      {
        where: "dockerd",
        fix: "run images check as root on a machine with dockerd (Debian: apt-get install docker.io)",
      },
    );
  }
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), "prebake-throwaway-engine-"));
  let child: ChildProcess | undefined;
  let bridge: EngineBridge | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    forget();
    stopped ??= shutDown(child, dir, bridge);
    return stopped;
  };
  const forget = registerCleanup(stop);
  try {
    bridge = await createEngineBridge();
    const socket = join(dir, "docker.sock");
    const log = join(dir, "dockerd.log");
    // Its own config file: the machine's /etc/docker/daemon.json configures the shared engine.
    await writeFile(join(dir, "daemon.json"), "{}\n");
    const args = [
      `--data-root=${join(dir, "data")}`,
      `--exec-root=${join(dir, "exec")}`,
      `--pidfile=${join(dir, "dockerd.pid")}`,
      `--host=unix://${socket}`,
      `--config-file=${join(dir, "daemon.json")}`,
      `--bridge=${bridge.name}`,
      "--iptables=false",
      "--ip-masq=false",
      "--ip-forward=false", // the machine's forwarding setting belongs to the shared engine
      ...(options.insecureRegistry ? [`--insecure-registry=${options.insecureRegistry}`] : []),
    ];
    const out = openSync(log, "a");
    // Its own process group: a Ctrl-C in the terminal reaches prebake, whose cleanup stops it in order.
    try {
      child = spawn(dockerd, args, { detached: true, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out); // the child has its own copy
    }
    child.unref();
    const docker = new Docker({ socketPath: socket });
    await waitUntilAnswering(docker, child, log);
    const runtime = new ContainerRuntime(docker, `unix://${socket} (throw-away)`, {
      warn: (message) => ctx.out.warn(message),
    });
    return { runtime, dir, bridge, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
