#!/usr/bin/env node
// Entry point. prebake targets Node 24, which runs the TypeScript sources directly
// (type stripping), so there is no build step between editing and running.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `prebake: error: Node ${process.versions.node} is too old (fix: run through npm scripts or npx, which use the pinned Node 24 in node_modules/.bin)\n`,
  );
  process.exit(2);
}
// Cache compiled (and type-stripped) modules between runs: a no-op `prebake deploy` is mostly start-up.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
// The bundle (`npm run bundle`: dist/cli/split/, the CLI in chunks) starts faster than the sources:
// no type stripping, no module resolution, and --help reads 100 KB. It runs only while it is built
// from the files as they are now; after an edit, or with PREBAKE_CLI_SOURCES=1, the sources run.
const { isBundleFresh } = await import("./fresh-bundle.js");
const root = new URL("../../..", import.meta.url).pathname;
const bundle = `${root}dist/cli/split/prebake.mjs`;
if (process.env.PREBAKE_CLI_SOURCES !== "1" && isBundleFresh(bundle, root)) await import(bundle);
else await import("../src/main.ts");
