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
await import("../src/main.ts");
