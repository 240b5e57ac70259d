/**
 * `nx g @prebake/nx-plugin:image <name>`: images/<name>, a toolchain image built FROM the
 * profile's base (a local Debian base here, Amazon Linux 2023 in the aws profile) with an activate
 * script, so a buildspec's install phase only sources it. It builds in seconds as written: the
 * toolchain's own install steps are the team's to add. npm start builds and pushes it.
 */
import { logger, type Tree } from "@nx/devkit";
import { type NameSchema, newProjectFolder, writeTemplate } from "../new-folder.ts";

export interface ImageSchema extends NameSchema {
  repository?: string;
}

export default async function imageGenerator(tree: Tree, options: ImageSchema) {
  const folder = newProjectFolder(tree, "image", options.name);
  const repository = options.repository ?? `prebake/${options.name}`;
  writeTemplate(tree, "image", folder, { name: options.name, repository });
  return () => {
    logger.info(
      `${folder}: FROM the profile's base, with /opt/${options.name}/activate; repository ${repository}.`,
    );
    logger.info(`  nx run ${options.name}:push -> builds it and pushes it (npm start does too)`);
    logger.info(`  an app.yaml with image: ${options.name} -> builds that app in it`);
  };
}
