/**
 * What every generator does first and last: check the new project's name with prebake's rule for
 * its kind (core's names.ts, the rule the CLI and the ci stack check) and refuse a name a folder
 * already has under images/, stacks/, apps/ or layers/ (project names are folder names); then
 * write the kind's template folder with @nx/devkit's generateFiles.
 */
import { join } from "node:path";
import { generateFiles, type Tree } from "@nx/devkit";
import { nameProblem } from "@prebake/core/names";
import { PROJECT_FOLDERS, type ProjectKind, takenProjectFolder } from "@prebake/core/paths";

export interface NameSchema {
  name: string;
}

/** A refused generator run: prebake's one line, `<where>: <what> (fix: <what to do>)`. */
function refusal(where: string, what: string, fix: string): Error {
  return new Error(`${where}: ${what} (fix: ${fix})`);
}

/** The folder a new `kind` named `name` goes in (images/<name>, ...), after the checks. */
export function newProjectFolder(tree: Tree, kind: ProjectKind, name: string): string {
  const folder = `${PROJECT_FOLDERS[kind]}/${name}`;
  const problem = nameProblem(kind, name);
  if (problem) throw refusal(folder, `${kind} name ${problem}`, "choose another name");
  const taken = takenProjectFolder(name, (path) => tree.exists(path));
  if (taken) {
    throw refusal(
      taken,
      "exists already (project names are folder names, unique across images/, stacks/, apps/ and layers/)",
      "choose another name, or edit the existing folder",
    );
  }
  return folder;
}

/**
 * Write `src/generators/<kind>/files` into `folder`. File names ending in .template lose the
 * suffix (so the templates are never linted or type-checked as the files they become), and
 * __key__ in a name is the substitution `key` (__dot__gitignore is .gitignore).
 */
export function writeTemplate(
  tree: Tree,
  kind: ProjectKind,
  folder: string,
  substitutions: Record<string, string>,
): void {
  generateFiles(tree, join(import.meta.dirname, kind, "files"), folder, { dot: ".", ...substitutions });
}
