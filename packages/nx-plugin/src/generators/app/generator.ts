/**
 * `nx g @prebake/nx-plugin:app <name>`: apps/<name>, a rebar3 release with an EUnit test. The ci
 * stack gives it its own CodeBuild project and pipeline action at its next render (npm start
 * renders and deploys it); `nx run <name>:codebuild` builds it in the erlang-otp image.
 */
import { logger, type Tree } from "@nx/devkit";
import { appResourceId } from "@prebake/core/names";
import { type NameSchema, newProjectFolder, writeTemplate } from "../new-folder.ts";

export default async function appGenerator(tree: Tree, options: NameSchema) {
  const folder = newProjectFolder(tree, "app", options.name);
  // An Erlang application name is an atom: second-app is the application second_app.
  const erl = options.name.replaceAll("-", "_");
  const project = `${appResourceId(options.name)}Project`;
  writeTemplate(tree, "app", folder, { name: options.name, erl, project });
  return () => {
    logger.info(`${folder}: the Erlang application ${erl}, with its release and an EUnit test.`);
    logger.info(
      `  nx run ${options.name}:codebuild -> builds it in the erlang-otp image (project ci/${project})`,
    );
    logger.info("  npm start -> deploys the ci stack with its project and pipeline action");
  };
}
