import { describe, expect, it } from "vitest";
import { exitOnSignals, pendingCleanups, registerCleanup, runCleanups } from "../src/index.ts";

describe("cleanups on signals", () => {
  it("runs every registered cleanup once; a forgotten one does not run", async () => {
    const ran: string[] = [];
    registerCleanup(() => ran.push("container"));
    const forget = registerCleanup(() => ran.push("done already"));
    forget();
    expect(await runCleanups()).toEqual([]);
    expect(ran).toEqual(["container"]);
    expect(pendingCleanups()).toBe(0);
  });

  it("gives up on a cleanup that hangs, and says so", async () => {
    registerCleanup(() => new Promise(() => {}));
    expect(await runCleanups(30)).toEqual(["a cleanup did not finish within 0 s"]);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s runs the cleanups, then exits %i", async (signal, code) => {
    const lines: string[] = [];
    let exited: number | undefined;
    let cleaned = false;
    const off = exitOnSignals(
      (l) => lines.push(l),
      (c) => {
        exited = c;
      },
    );
    try {
      registerCleanup(async () => {
        await new Promise((ok) => setTimeout(ok, 20));
        cleaned = true;
      });
      process.emit(signal, signal);
      expect(exited).toBeUndefined(); // not before the cleanup finished
      await new Promise((ok) => setTimeout(ok, 100));
      expect(cleaned).toBe(true);
      expect(exited).toBe(code);
      expect(lines.join("")).toContain("cleaning up");
    } finally {
      off();
    }
  });
});
