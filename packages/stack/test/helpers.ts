import { ConfigError } from "@prebake/core";

export * from "../src/index.ts";

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
