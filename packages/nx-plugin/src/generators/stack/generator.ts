/**
 * `nx g @prebake/nx-plugin:stack <name>`: stacks/<name>/stack.ts, a CloudFormation stack in
 * prebake's typed model, starting from one resource (a log group with the shared retention
 * parameter). npm start renders it to stack.yaml, cfn-lints it and deploys it as <project>-<name>.
 */
import { logger, type Tree } from "@nx/devkit";
import { type NameSchema, newProjectFolder, writeTemplate } from "../new-folder.ts";

export default async function stackGenerator(tree: Tree, options: NameSchema) {
  const folder = newProjectFolder(tree, "stack", options.name);
  writeTemplate(tree, "stack", folder, { name: options.name });
  return () => {
    logger.info(`${folder}/stack.ts: one log group to begin with; shared pieces are in stacks/shared.ts.`);
    logger.info(`  nx run ${options.name}:render -> writes stack.yaml (commit it); lint runs cfn-lint on it`);
    logger.info(`  nx run ${options.name}:deploy -> deploys it (npm start deploys every stack)`);
  };
}
