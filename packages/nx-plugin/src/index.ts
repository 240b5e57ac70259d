import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CreateNodes, CreateNodesResult } from "@nx/devkit";
import { inferProject } from "./infer.ts";

/**
 * prebake's local Nx plugin: adding images/<name>/, stacks/<name>/ or examples/<name>/ adds the
 * project and its targets; no hand-written project.json.
 */
export const createNodes: CreateNodes = [
  "{images/*/image.yaml,stacks/*/stack.ts,examples/*/layer.yaml,examples/*/rebar.config}",
  (files, _options, context) => {
    const readText = (path: string) => {
      const abs = join(context.workspaceRoot, path);
      return existsSync(abs) ? readFileSync(abs, "utf8") : undefined;
    };
    const results: Array<readonly [string, CreateNodesResult]> = [];
    for (const file of files) {
      const project = inferProject(file, readText);
      if (!project) continue;
      const targets = Object.fromEntries(
        Object.entries(project.targets).map(([targetName, t]) => [
          targetName,
          {
            executor: "nx:run-commands",
            options: { command: t.command, cwd: "{workspaceRoot}" },
            cache: t.cache,
            ...(t.dependsOn ? { dependsOn: t.dependsOn } : {}),
            ...(t.inputs ? { inputs: t.inputs } : {}),
            ...(t.outputs ? { outputs: t.outputs } : {}),
            metadata: { description: t.description, technologies: ["prebake"] },
          },
        ]),
      );
      results.push([
        file,
        {
          projects: {
            [project.root]: {
              name: project.name,
              root: project.root,
              tags: project.tags,
              implicitDependencies: project.implicitDependencies,
              targets,
            },
          },
        },
      ]);
    }
    return results;
  },
];
