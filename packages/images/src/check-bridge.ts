import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { promisify } from "node:util";
import { UnavailableError } from "@prebake/core";

/**
 * The throw-away engine's own Linux bridge. dockerd started with `--bridge=none` deletes the host's
 * `docker0` at start (removeDefaultBridgeInterface), which cuts every container of the shared engine
 * off; so the throw-away engine always gets a bridge of its own (`--bridge=<name>`), in a private
 * /24 that no route of the machine covers, and the bridge is deleted when the engine stops.
 * Each bridge carries its owner's pid in its alias, so leftovers of a killed run are recognised
 * (and removed by the next run) without touching anyone else's interfaces.
 */

export const BRIDGE_PREFIX = "pbkchk";
const ALIAS_PREFIX = "prebake images check pid=";

export interface EngineBridge {
  name: string;
  /** The bridge's address and prefix, e.g. 10.231.17.1/24. */
  address: string;
}

/** A bridge name unique enough for concurrent runs, within Linux's 15-character limit. */
export function newBridgeName(): string {
  return `${BRIDGE_PREFIX}${randomBytes(3).toString("hex")}`;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0) as number;
}

/** [first, last] address of a CIDR ("10.0.0.0/8", or a bare address as a /32); undefined when not IPv4. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [ip = "", bits = "32"] = cidr.split("/");
  const base = ipv4ToInt(ip);
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  return [first, first + size - 1];
}

/**
 * A 10.x.y.0/24 (x from 200 to 254, clear of Docker's default pools 172.17-31 and 192.168) that
 * overlaps no destination in `used`; the default route is not a destination. Random, so two runs
 * at once rarely try the same one; undefined when `attempts` random picks all collide.
 */
export function pickFreeSubnet(
  used: string[],
  pick: (min: number, max: number) => number = randomInt,
  attempts = 64,
): string | undefined {
  const taken = used
    .filter((dst) => dst !== "default")
    .map(cidrRange)
    .filter((r) => r !== undefined);
  for (let i = 0; i < attempts; i++) {
    const candidate = `10.${pick(200, 255)}.${pick(0, 256)}.0/24`;
    const [first, last] = cidrRange(candidate)!;
    if (!taken.some(([a, b]) => a <= last && first <= b)) return candidate;
  }
  return undefined;
}

const execFileAsync = promisify(execFile);

/** `ip <args>`'s output; asynchronous, as every child process prebake runs. */
async function ip(args: string[]): Promise<string> {
  try {
    return (await execFileAsync("ip", args, { encoding: "utf8" })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: unknown; message: string };
    const why = e.stderr?.trim()
      ? e.stderr.trim().split("\n")[0]
      : typeof e.code === "number"
        ? `exit ${e.code}`
        : e.message;
    throw new UnavailableError(`ip ${args.join(" ")} failed (${why})`, {
      where: "the throw-away engine's bridge",
      fix: "run images check as root on a machine with iproute2 (Debian: apt-get install iproute2)",
    });
  }
}

/** Every IPv4 destination the machine routes (all tables), so a new /24 collides with none. */
async function routedDestinations(): Promise<string[]> {
  const routes = JSON.parse((await ip(["-j", "-4", "route", "show", "table", "all"])) || "[]") as {
    dst?: string;
  }[];
  return routes.map((r) => r.dst ?? "").filter(Boolean);
}

interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

/** Bridges this module made: name, and the pid of the process that made it. */
export async function listEngineBridges(): Promise<{ name: string; pid: number }[]> {
  const links = JSON.parse((await ip(["-j", "link", "show", "type", "bridge"])) || "[]") as LinkInfo[];
  return links
    .filter((l) => l.ifname.startsWith(BRIDGE_PREFIX) && l.ifalias?.startsWith(ALIAS_PREFIX))
    .map((l) => ({ name: l.ifname, pid: Number(l.ifalias!.slice(ALIAS_PREFIX.length)) }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Delete a bridge; a bridge already gone is fine. */
export async function removeEngineBridge(name: string): Promise<void> {
  await ip(["link", "delete", name, "type", "bridge"]).catch(() => undefined);
}

/** Remove bridges left by runs that were killed (their pid is gone); never another live run's. */
async function removeOrphanBridges(): Promise<void> {
  for (const b of await listEngineBridges()) if (!isAlive(b.pid)) await removeEngineBridge(b.name);
}

/** Create the bridge, up, with the first address of a free private /24. Removed again if any step fails. */
export async function createEngineBridge(): Promise<EngineBridge> {
  await removeOrphanBridges();
  const subnet = pickFreeSubnet(await routedDestinations());
  if (!subnet) {
    throw new UnavailableError(
      "no free private /24 in 10.200.0.0-10.254.255.255 for the throw-away engine's bridge",
      {
        where: "the throw-away engine's bridge",
        fix: "free a 10.200-254.x.0/24 from the machine's routes, then run again",
      },
    );
  }
  const name = newBridgeName();
  const address = subnet.replace(/\.0\/24$/, ".1/24");
  await ip(["link", "add", "name", name, "type", "bridge"]);
  try {
    await ip(["link", "set", "dev", name, "alias", `${ALIAS_PREFIX}${process.pid}`]);
    await ip(["addr", "add", address, "dev", name]);
    await ip(["link", "set", "dev", name, "up"]);
  } catch (err) {
    await removeEngineBridge(name);
    throw err;
  }
  return { name, address };
}
