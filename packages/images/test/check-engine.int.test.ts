/**
 * The throw-away dockerd of `images check` must leave the machine's networking as it found it:
 * dockerd with `--bridge=none` deletes the host's docker0 (and so cuts every container of the
 * shared engine off). These tests start real throw-away engines (root, real dockerd, real `ip`)
 * and check, after a normal stop, after a failed start and for a killed run's leftover bridge,
 * that docker0 is still there and the engine's own bridge is gone.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnavailableError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEngineBridges, newBridgeName, removeEngineBridge } from "../src/check-bridge.ts";
import { startThrowawayEngine } from "../src/check-engine.ts";
import { makeRoot, testContext } from "./fixtures.ts";
import { expectHostBridgeIntact, hostLink } from "./host-network.ts";

const t = makeRoot();
const { ctx } = testContext(t.root);
let workDir: string;

beforeAll(() => {
  // A precondition, not the test: if docker0 is already missing, say so rather than blame the engine.
  expect(hostLink("docker0"), "the host's docker0 is missing before the test started").toBeDefined();
  workDir = mkdtempSync(join(tmpdir(), "prebake-engine-test-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  rmSync(t.root, { recursive: true, force: true });
});

describe("the throw-away engine's network", () => {
  it("runs on a bridge of its own (up, in a private /24), keeps docker0, and deletes its bridge on stop", async () => {
    const engine = await startThrowawayEngine(ctx, { workDir });
    try {
      // dockerd deletes docker0 at start with --bridge=none: the engine answering means its start is over.
      await engine.runtime.docker.ping();
      expect(hostLink("docker0")).toBeDefined();
      const mine = (await listEngineBridges()).filter((b) => b.pid === process.pid);
      expect(mine.map((b) => b.name)).toEqual([engine.bridge.name]);
      expect(engine.bridge.name).toMatch(/^pbkchk[0-9a-f]{6}$/);
      expect(engine.bridge.address).toMatch(/^10\.(2[0-4]\d|25[0-4])\.\d{1,3}\.1\/24$/);
      const link = hostLink(engine.bridge.name)!;
      expect(link.flags).toContain("UP");
      expect(
        link.addr_info?.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`),
      ).toEqual([engine.bridge.address]);
      // The engine's default network is that bridge, not docker0.
      const bridgeNet = await engine.runtime.docker.getNetwork("bridge").inspect();
      expect(bridgeNet.Options?.["com.docker.network.bridge.name"]).toBe(engine.bridge.name);
    } finally {
      await engine.stop();
    }
    await expectHostBridgeIntact(engine.bridge.name);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it("a failed start (dockerd cannot listen on its socket) deletes the bridge and leaves docker0", async () => {
    const before = new Set((await listEngineBridges()).map((b) => b.name));
    // A unix socket path has at most 107 bytes: dockerd cannot listen on one deeper than that and exits.
    // Its own folder, not the shared workDir: the other tests expect that one empty afterwards.
    const own = mkdtempSync(join(tmpdir(), "prebake-engine-fail-"));
    const deep = join(own, "d".repeat(100));
    mkdirSync(deep);
    const outcome = await startThrowawayEngine(ctx, { workDir: deep }).then(
      async (engine) => {
        await engine.stop();
        return "started";
      },
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(UnavailableError);
    expect(String(outcome)).toMatch(/the throw-away dockerd exited at start/);
    expect((await listEngineBridges()).filter((b) => b.pid === process.pid && !before.has(b.name))).toEqual(
      [],
    );
    expect(hostLink("docker0")).toBeDefined();
    expect(readdirSync(deep)).toEqual([]);
    rmSync(own, { recursive: true, force: true });
  });

  it("removes a bridge left by a killed run (its pid is gone) at the next start", async () => {
    const dead = spawnSync("true").pid;
    const orphan = newBridgeName();
    const ip = (...args: string[]) => expect(spawnSync("ip", args).status).toBe(0);
    ip("link", "add", "name", orphan, "type", "bridge");
    try {
      ip("link", "set", "dev", orphan, "alias", `prebake images check pid=${dead}`);
      expect(await listEngineBridges()).toContainEqual({ name: orphan, pid: dead });
      const engine = await startThrowawayEngine(ctx, { workDir });
      await engine.stop();
      expect(hostLink(orphan)).toBeUndefined();
      await expectHostBridgeIntact(engine.bridge.name);
    } finally {
      await removeEngineBridge(orphan);
    }
  });
});
