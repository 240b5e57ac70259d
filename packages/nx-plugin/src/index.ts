/**
 * prebake's local Nx plugin: adding images/<name>/, stacks/<name>/, apps/<name>/ or layers/<name>/
 * adds the project and its targets; no hand-written project.json.
 *
 * `createNodes` has the V2 signature (all files at once) since Nx 21; `createNodesV2` is its
 * deprecated alias in Nx 24. createNodesFromFiles reports a failure against the file it came from
 * and keeps the other projects.
 */
import type { CreateNodes } from "@nx/devkit";
import { appImage } from "@prebake/core/app-image";
import { environmentNames } from "@prebake/core/environment-names";
import { createNodesFromFiles } from "./nx-internals.ts";
import { markerOf, PROJECT_MARKERS, projectFromFile } from "./projects.ts";
import { StackOrderings } from "./stack-ordering.ts";

export const name = "prebake";

export const createNodes: CreateNodes = [
  PROJECT_MARKERS,
  async (files, options, context) => {
    const orderings = new StackOrderings(context.workspaceRoot);
    // Deploy targets get a configuration per environment: nx run-many -t deploy -c dev.
    const environments = environmentNames(context.workspaceRoot);
    try {
      return await createNodesFromFiles(
        async (file) => {
          const marker = markerOf(file);
          const order = marker?.kind === "stack" ? await orderings.of(marker.name) : undefined;
          const image = marker?.kind === "app" ? appImage(context.workspaceRoot, marker.name) : undefined;
          const project = projectFromFile(file, order, environments, image);
          return project ? { projects: { [project.root]: project } } : {};
        },
        files,
        options,
        context,
      );
    } finally {
      orderings.save();
    }
  },
];
