/**
 * A screenshot of a `prebake report` page, taken by Debian's headless Chromium (the same launch as
 * the report's browser test), for the README or a ticket:
 *
 *   npx prebake report && node_modules/.bin/node scripts/report-screenshot.ts [dist/report/index.html] [docs/report.png]
 *
 * Needs /usr/bin/chromium: `bash scripts/local-env.sh chromium` installs it.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { launchHeadlessChromium } from "../packages/report/test/headless-chromium.ts";

const page = resolve(process.argv[2] ?? "dist/report/index.html");
const png = resolve(process.argv[3] ?? "dist/report/report.png");
const profile = mkdtempSync(join(tmpdir(), "prebake-chromium-"));
const browser = await launchHeadlessChromium(profile);
try {
  const tab = await browser.newPage();
  await tab.goto(`file://${page}`, { waitUntil: "load" });
  mkdirSync(dirname(png), { recursive: true });
  await tab.screenshot({ path: png, fullPage: true });
  process.stdout.write(`${png}\n`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
