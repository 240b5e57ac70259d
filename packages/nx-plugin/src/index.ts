/**
 * prebake's local Nx plugin: adding images/<name>/, stacks/<name>/ or examples/<name>/ adds the
 * project and its targets; no hand-written project.json.
 *
 * `createNodes` has the V2 signature (all files at once) since Nx 21; `createNodesV2` is its
 * deprecated alias in Nx 24. createNodesFromFiles reports a failure against the file it came from
 * and keeps the other projects.
 */
import { type CreateNodes, createNodesFromFiles } from "@nx/devkit";
import { PROJECT_MARKERS, projectFromFile } from "./projects.ts";
import { stackOrdering } from "./stack-ordering.ts";

export const name = "prebake";

export const createNodes: CreateNodes = [
  PROJECT_MARKERS,
  (files, options, context) =>
    createNodesFromFiles(
      (file, _options, { workspaceRoot }) => {
        const project = projectFromFile(file, stackOrdering(workspaceRoot));
        return project ? { projects: { [project.root]: project } } : {};
      },
      files,
      options,
      context,
    ),
];
