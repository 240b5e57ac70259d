/**
 * `nx g @prebake/nx-plugin:layer <name>`: layers/<name>, a Python Lambda layer of the team's own
 * code (python/<package>) and a requirements lock with hashes, empty to begin with. npm start
 * builds, validates and publishes it; the ci stack gives it a pipeline action at its next render.
 */
import { logger, type Tree } from "@nx/devkit";
import { type NameSchema, newProjectFolder, writeTemplate } from "../new-folder.ts";

export default async function layerGenerator(tree: Tree, options: NameSchema) {
  const folder = newProjectFolder(tree, "layer", options.name);
  // A Python package name is an identifier: my-layer's code is the package my_layer.
  const pkg = options.name.replaceAll("-", "_");
  writeTemplate(tree, "layer", folder, { name: options.name, pkg });
  return () => {
    logger.info(
      `${folder}: the layer's own package python/${pkg}, and requirements.txt to pin what it needs.`,
    );
    logger.info(`  nx run ${options.name}:build-layer -> builds and validates it in the python-layer image`);
    logger.info("  npm start -> publishes it, and gives it a pipeline action in stacks/ci");
  };
}
