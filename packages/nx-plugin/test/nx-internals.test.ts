/**
 * The Nx internals the plugin still imports by path (src/nx-internals.ts), checked against the
 * installed Nx: an upgrade that moves them fails the import here, one that changes them fails the
 * round trip, and they must be the very objects @nx/devkit/internal and @nx/devkit (Nx's own exports
 * of them) give.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNodesFromFiles, PluginCache, workspaceDataDirectory } from "../src/nx-internals.ts";

const dir = mkdtempSync(join(tmpdir(), "prebake-nx-internals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Nx internals behind nx-internals.ts", () => {
  it("are what @nx/devkit/internal and @nx/devkit export", async () => {
    const internal = await import("@nx/devkit/internal");
    expect(PluginCache).toBe(internal.PluginCache);
    expect(workspaceDataDirectory).toBe(internal.workspaceDataDirectory);
    const devkit = await import("@nx/devkit");
    expect(createNodesFromFiles).toBe(devkit.createNodesFromFiles);
  });

  it("PluginCache keeps answers in a JSON file across processes' reads", () => {
    const file = join(dir, "cache.json");
    const cache = new PluginCache<{ images: string[] }>(file);
    expect(cache.get("k")).toBeUndefined();
    cache.set("k", { images: ["erlang-otp"] });
    cache.writeToDisk();
    expect(JSON.parse(readFileSync(file, "utf8")).entries).toEqual({ k: { images: ["erlang-otp"] } });
    expect(new PluginCache<{ images: string[] }>(file).get("k")).toEqual({ images: ["erlang-otp"] });
  });

  it("workspaceDataDirectory is an absolute folder (Nx's workspace data, or NX_WORKSPACE_DATA_DIRECTORY)", () => {
    expect(typeof workspaceDataDirectory).toBe("string");
    expect(isAbsolute(workspaceDataDirectory)).toBe(true);
    expect(workspaceDataDirectory).toMatch(process.env.NX_WORKSPACE_DATA_DIRECTORY ?? /workspace-data$/);
  });
});
