import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { afterAll } from "vitest";

export * from "../src/index.ts";
// Internals some tests check directly.
export { parseCfnLintOutput } from "../src/lint.ts";
export { subReferences } from "../src/validate.ts";

/** Run fn, which must throw a ConfigError, and return its one-line message. */
export function ConfigErrorLine(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.toLine();
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
