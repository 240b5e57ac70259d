import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { listEngineBridges } from "../src/check-bridge.ts";

interface HostLink {
  ifname: string;
  flags: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** A network interface of the machine, as `ip -j addr show` describes it; undefined when absent. */
export function hostLink(name: string): HostLink | undefined {
  const r = spawnSync("ip", ["-j", "addr", "show", "dev", name], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as HostLink[])[0];
}

/**
 * After a throw-away engine stopped: the shared engine's docker0 is still there, the engine's own
 * bridge is gone, and no bridge of a finished run (this process's, or a dead pid's) is left.
 */
export async function expectHostBridgeIntact(engineBridge?: string): Promise<void> {
  expect(hostLink("docker0"), "the host's docker0 bridge was deleted").toBeDefined();
  if (engineBridge) expect(hostLink(engineBridge), `${engineBridge} was left behind`).toBeUndefined();
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const leftovers = (await listEngineBridges()).filter((b) => b.pid === process.pid || !alive(b.pid));
  expect(leftovers, "throw-away engine bridges left behind").toEqual([]);
}
