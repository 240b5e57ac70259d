/**
 * The parts of Nx this plugin uses that @nx/devkit's public API does not have, in one place:
 * - PluginCache: the JSON file cache (with LRU eviction) Nx's own plugins keep their answers in;
 * - workspaceDataDirectory: where those caches live (.nx/workspace-data, or NX_WORKSPACE_DATA_DIRECTORY).
 * @nx/devkit/internal re-exports both, but loading it loads all of Nx's internals (~0.3 s, on every
 * project graph), so they come from their own modules in nx. test/nx-internals.test.ts fails when an
 * Nx upgrade moves them, changes what they do, or makes them other than what @nx/devkit/internal exports.
 */
export { workspaceDataDirectory } from "nx/src/utils/cache-directory.js";
export { PluginCache } from "nx/src/utils/plugin-cache-utils.js";
