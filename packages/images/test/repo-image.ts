import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");

/**
 * A copy of this repository's images/<name> in a test root, with the repository's packages/
 * linked beside it: an image's `run:` generators (python-layer's prebake bundle) run this
 * checkout's code from the project root, as they do in a real checkout. With `repository`, the
 * copy pushes to a repository of its own, so the shared one is not touched.
 */
export function copyRepoImage(root: string, name: string, options: { repository?: string } = {}): void {
  cpSync(join(REPO_ROOT, "images", name), join(root, "images", name), { recursive: true });
  const packages = join(root, "packages");
  if (!existsSync(packages)) symlinkSync(join(REPO_ROOT, "packages"), packages);
  if (options.repository !== undefined) {
    const file = join(root, "images", name, "image.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(/^repository: .*$/m, `repository: ${options.repository}`),
    );
  }
}
