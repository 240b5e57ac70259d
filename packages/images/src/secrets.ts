import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Context } from "@prebake/core";
import type { ImageDefinition } from "./definition.ts";

/**
 * The values of an image's build secrets (image.yaml `secrets:`), read now, at build time. One
 * that is not set (no such variable, no such file) is left out, and said so: BuildKit then builds
 * without it, or fails the step that marks its mount `required`, which names the secret.
 */
export function resolveBuildSecrets(
  ctx: Context,
  def: ImageDefinition,
  env = process.env,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [id, source] of Object.entries(def.secrets)) {
    if ("env" in source) {
      const value = env[source.env];
      if (value) values[id] = value;
      else ctx.out.info(`${def.file}: secrets.${id}: $${source.env} is not set; building without it`);
    } else {
      const path = isAbsolute(source.file) ? source.file : join(ctx.config.rootDir, source.file);
      if (existsSync(path)) values[id] = readFileSync(path, "utf8");
      else ctx.out.info(`${def.file}: secrets.${id}: no file ${source.file}; building without it`);
    }
  }
  return values;
}
