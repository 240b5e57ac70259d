/**
 * The folder lock on the real filesystem with real processes: a second holder waits and is told
 * who holds it, refuses (exit 9) past its wait naming the holder, and takes over at once a lock
 * whose process is gone (SIGKILLed: nothing removed the file), whose pid now belongs to another
 * process, or that a crash left empty.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, ExitCode, folderLock, type LockHolder, RefusedError } from "../src/index.ts";

const NODE = resolve(import.meta.dirname, "../../../node_modules/.bin/node");
const LOCK_MODULE = resolve(import.meta.dirname, "../src/lock.ts");
const dirs: string[] = [];
const lockIn = () => {
  const dir = mkdtempSync(join(tmpdir(), "prebake-lock-"));
  dirs.push(dir);
  return folderLock(join(dir, "artifacts"));
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const holderOf = (path: string) => JSON.parse(readFileSync(path, "utf8")) as LockHolder;

describe("acquireLock", () => {
  it("names its holder in the lock file and removes only its own lock on release", async () => {
    const path = lockIn();
    const release = await acquireLock(path, "prebake pipeline run ci");
    expect(holderOf(path)).toMatchObject({ pid: process.pid, what: "prebake pipeline run ci" });
    await release();
    expect(existsSync(path)).toBe(false);
    await release(); // twice is fine
  });

  it("a second run waits, told who holds it, and goes on when the holder releases", async () => {
    const path = lockIn();
    const first = await acquireLock(path, "first");
    const told: LockHolder[] = [];
    let got = false;
    const second = acquireLock(path, "second", { onWait: (h) => told.push(h) }).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toBe(false);
    expect(told.map((h) => h.what)).toEqual(["first"]);
    await first();
    const release = await second;
    expect(holderOf(path).what).toBe("second");
    await release();
  });

  it("refuses with exit 9 past its wait, naming the holder", async () => {
    const path = lockIn();
    const first = await acquireLock(path, "prebake layer build common-utils");
    const err = await acquireLock(path, "second", { waitMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(ExitCode.REFUSED);
    expect((err as RefusedError).toLine()).toMatch(
      new RegExp(
        `: in use by another run \\(pid ${process.pid} on .*, prebake layer build common-utils, since .*\\) \\(fix: wait for that run`,
      ),
    );
    await first();
  });

  it("takes over at once the lock of a holder killed with SIGKILL (no cleanup ran)", async () => {
    const path = lockIn();
    const child = spawn(
      NODE,
      [
        "--input-type=module",
        "-e",
        `const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
         await acquireLock(${JSON.stringify(path)}, "a run that will be killed");
         console.log("held"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((ok) =>
      child.stdout.on("data", (d: Buffer) => String(d).includes("held") && ok()),
    );
    expect(holderOf(path).pid).toBe(child.pid);
    child.kill("SIGKILL");
    await new Promise((ok) => child.on("exit", ok));
    expect(existsSync(path)).toBe(true); // left behind
    const told: LockHolder[] = [];
    const started = Date.now();
    const release = await acquireLock(path, "next", { onWait: (h) => told.push(h), waitMs: 5000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(told).toEqual([]);
    expect(holderOf(path).what).toBe("next");
    await release();
  });

  it("takes over a lock whose pid now belongs to another process, and one a crash left empty", async () => {
    const reused = lockIn();
    const stale: LockHolder = { ...holderFor(process.pid), started: "1", token: "old" };
    writeFileSync(reused, JSON.stringify(stale));
    const r1 = await acquireLock(reused, "next", { waitMs: 1000 });
    expect(holderOf(reused).token).not.toBe("old");
    await r1();

    const empty = lockIn();
    writeFileSync(empty, "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(empty, old, old);
    const r2 = await acquireLock(empty, "next", { waitMs: 1000 });
    expect(holderOf(empty).what).toBe("next");
    await r2();
  });
});

function holderFor(pid: number): LockHolder {
  return { pid, started: undefined, host: hostname(), what: "x", since: "", token: "t" };
}
