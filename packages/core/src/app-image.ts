/**
 * The image an app builds in, for the Nx plugin: its project's implicit dependency (nx affected:
 * a changed image affects the apps built in it). Read without validating, so the plugin stays
 * light (no zod, no core index): app.yaml is validated by @prebake/codebuild when the ci stack
 * renders; here a bad file means the default.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { APP_DEFAULTS, appPaths } from "./paths.ts";

export function appImage(root: string, app: string): string {
  const file = appPaths.definition(root, app);
  if (!existsSync(file)) return APP_DEFAULTS.image;
  try {
    const image = (parse(readFileSync(file, "utf8")) as { image?: unknown } | null)?.image;
    return typeof image === "string" && image ? image : APP_DEFAULTS.image;
  } catch {
    return APP_DEFAULTS.image;
  }
}
