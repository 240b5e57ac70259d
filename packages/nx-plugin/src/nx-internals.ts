/**
 * The parts of Nx the plugin's project-graph code uses, each from its own module in nx, in one place:
 * - PluginCache: the JSON file cache (with LRU eviction) Nx's own plugins keep their answers in;
 * - workspaceDataDirectory: where those caches live (.nx/workspace-data, or NX_WORKSPACE_DATA_DIRECTORY);
 * - createNodesFromFiles: @nx/devkit's, which reports a failure against the file it came from.
 * @nx/devkit/internal re-exports the first two, but loading it loads all of Nx's internals (~0.3 s,
 * on every project graph). @nx/devkit's root has the third, but loading it loads Nx's generators,
 * task runner and cloud modules too: about 130 more modules and 0.1 s of every `npm start`, whose
 * project graph needs none of them. test/nx-internals.test.ts fails when an Nx upgrade moves them,
 * changes what they do, or makes them other than the objects @nx/devkit exports.
 */

export { createNodesFromFiles } from "nx/src/project-graph/plugins/utils.js";
export { workspaceDataDirectory } from "nx/src/utils/cache-directory.js";
export { PluginCache } from "nx/src/utils/plugin-cache-utils.js";
