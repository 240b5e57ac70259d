/**
 * The names under `environments:` in prebake.config.yaml, read without validating the file: for
 * the Nx plugin, which makes one target configuration per environment (`nx run-many -t deploy -c
 * dev`) and must stay light (no zod, no core index). config.ts is the one that validates; a bad
 * file is reported (exit 3) by the command a configuration runs, so here it just yields no names.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_FILE_NAME } from "./paths.ts";

export function environmentNames(rootDir: string): string[] {
  const file = join(rootDir, CONFIG_FILE_NAME);
  if (!existsSync(file)) return [];
  try {
    const environments = (parse(readFileSync(file, "utf8")) as { environments?: unknown } | null)
      ?.environments;
    return environments && typeof environments === "object" && !Array.isArray(environments)
      ? Object.keys(environments)
      : [];
  } catch {
    return [];
  }
}
