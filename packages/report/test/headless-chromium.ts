/**
 * Debian's headless Chromium as the report is looked at: the browser test and
 * scripts/report-screenshot.ts launch it the same way, so a screenshot shows what the test checked.
 * It lives with the report's tests (scripts import packages, never the other way round).
 */
import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Chromium on a fresh profile folder, with nothing of its own going to the network (updates, sync). */
export async function launchHeadlessChromium(profileDir: string): Promise<BrowserContext> {
  // Installing is the project's scripts' job (npm test runs `local-env.sh chromium` first), never a test's.
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run bash scripts/local-env.sh chromium`);
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 900, height: 900 },
  });
}
