/**
 * Throw-away copies of the code for the whole-pipeline benchmarks (bench-pipeline.ts,
 * bench-scale.ts): a git ref or the working tree, with this checkout's node_modules linked in (so
 * the same Nx and libraries) and its own prebake.config.yaml project name, so the stacks it deletes
 * and creates are its own.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** node_modules of a copy: the checkout's packages, except the workspace's own, which are the copy's. */
function linkNodeModules(repo: string, copy: string): void {
  const real = join(repo, "node_modules");
  mkdirSync(join(copy, "node_modules", "@prebake"), { recursive: true });
  mkdirSync(join(copy, "node_modules", ".bin"));
  for (const entry of readdirSync(real)) {
    if (entry !== "@prebake" && entry !== ".bin")
      symlinkSync(join(real, entry), join(copy, "node_modules", entry));
  }
  for (const pkg of readdirSync(join(copy, "packages"))) {
    const manifest = join(copy, "packages", pkg, "package.json");
    if (!existsSync(manifest)) continue;
    const name = JSON.parse(readFileSync(manifest, "utf8")).name as string;
    symlinkSync(join(copy, "packages", pkg), join(copy, "node_modules", name));
    // A package's own versions of a dependency (npm nests them when they differ from the root's).
    const nested = join(repo, "packages", pkg, "node_modules");
    if (existsSync(nested)) symlinkSync(nested, join(copy, "packages", pkg, "node_modules"));
  }
  for (const bin of readdirSync(join(real, ".bin"))) {
    const target =
      bin === "prebake"
        ? join(copy, "packages/cli/bin/prebake.js")
        : resolve(real, ".bin", readlinkSync(join(real, ".bin", bin)));
    symlinkSync(target, join(copy, "node_modules", ".bin", bin));
  }
}

/**
 * A copy of `ref` of the repository at `repo` (git archive), or of its working tree (tracked and
 * unignored files) for `ref` "working-tree", whose prebake.config.yaml names `project`.
 */
export function copyOf(repo: string, ref: string, label: string, project: string): string {
  const copy = mkdtempSync(join(tmpdir(), `prebake-bench-${label}-`));
  if (ref === "working-tree") {
    const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], {
      cwd: repo,
      encoding: "utf8",
    });
    for (const file of files.stdout.split("\n").filter(Boolean)) {
      if (!existsSync(join(repo, file))) continue; // deleted in the working tree, not yet committed
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(repo, file), join(copy, file));
    }
  } else {
    const archive = spawnSync("sh", ["-c", `git archive ${ref} | tar -x -C ${copy}`], { cwd: repo });
    if (archive.status !== 0) throw new Error(`cannot check out ${ref}: ${archive.stderr}`);
  }
  const config = join(copy, "prebake.config.yaml");
  writeFileSync(config, readFileSync(config, "utf8").replace(/^project: .*$/m, `project: ${project}`));
  linkNodeModules(repo, copy);
  return copy;
}
