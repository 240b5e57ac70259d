/**
 * The build context's generated files (image.yaml `generated:`): made on the host before the
 * context is hashed, so that the image build itself fetches nothing and the content hash covers
 * them. Two kinds:
 *  - `npm: <package>@<version>` with `integrity: sha512-...`: the package's tarball from the npm
 *    registry (npm's own client, its configured registry and cache), checked against the pinned hash;
 *  - `run: [command, args...]`: a command of this repository (from its root; `node` is the Node
 *    running prebake) that writes the file, and writes the same bytes from the same inputs.
 * The files stay out of git (the image folder's .gitignore); .dockerignore must let them through.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync } from "node:fs";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  BuildFailedError,
  type Context,
  type FileDigests,
  firstLine,
  RefusedError,
  UnavailableError,
} from "@prebake/core";
import type { ImageDefinition } from "./definition.ts";

const execFileAsync = promisify(execFile);

export type GeneratedFile = ImageDefinition["generated"][number];

/** The integrity string (`sha512-<base64>`, as npm's lockfile writes it) of a file. */
export async function integrityOf(path: string, digests?: FileDigests): Promise<string> {
  if (digests) return `sha512-${digests.digest(path, "sha512", "base64")}`;
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest("base64")}`;
}

/** Fetch an npm package's tarball to `target`, refusing it unless it has the pinned integrity. */
async function fetchNpmPackage(
  spec: string,
  integrity: string,
  target: string,
  where: string,
): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "prebake-npm-"));
  try {
    let name: string;
    try {
      // From a folder of its own: inside the repository npm would read the workspace's config.
      const { stdout } = await execFileAsync(
        "npm",
        ["pack", spec, "--silent", "--pack-destination", scratch],
        {
          cwd: scratch,
          encoding: "utf8",
        },
      );
      name = stdout.trim().split("\n").pop()!;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new UnavailableError(`npm could not fetch ${spec}: ${firstLine(stderr.trim() || err)}`, {
        where,
        fix: "check that npm reaches its registry (npm ping), or fetch it once online: npm's cache keeps it",
      });
    }
    const fetched = join(scratch, name);
    const actual = await integrityOf(fetched);
    if (actual !== integrity) {
      throw new RefusedError(`${spec} from the npm registry is not the package pinned here (got ${actual})`, {
        where,
        fix: "the registry or a mirror serves other bytes: find out why; change `integrity` only for a package you trust",
      });
    }
    await mkdir(dirname(target), { recursive: true });
    await copyFile(fetched, target);
  } finally {
    rm(scratch, { recursive: true, force: true }).catch(() => {});
  }
}

/** Run the command that writes a generated file, from the repository root. */
async function runGenerator(argv: string[], rootDir: string, target: string, where: string): Promise<void> {
  const [command, ...args] = argv;
  try {
    await execFileAsync(command === "node" ? process.execPath : command!, args, {
      cwd: rootDir,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new BuildFailedError(`\`${argv.join(" ")}\` failed: ${firstLine(stderr.trim() || err)}`, {
      where,
      fix: "run the command from the repository root to see its whole output",
    });
  }
  if (!existsSync(target)) {
    throw new BuildFailedError(`\`${argv.join(" ")}\` did not write the file`, {
      where,
      fix: "make the command write the path `generated:` names (relative to the image folder)",
    });
  }
}

/**
 * Make (or check) every generated file of the definition, in order. `digests` remembers a pinned
 * package's integrity by the file's stamp, so a no-op does not hash the tarball again.
 */
export async function prepareGeneratedFiles(
  ctx: Context,
  def: ImageDefinition,
  digests?: FileDigests,
): Promise<void> {
  for (const [i, file] of def.generated.entries()) {
    const target = join(def.dir, file.path);
    const where = `${def.file}: generated[${i}] (${file.path})`;
    if ("npm" in file) {
      if (existsSync(target) && (await integrityOf(target, digests)) === file.integrity) continue;
      ctx.out.progress("context", `${file.path}: fetching ${file.npm} from the npm registry`);
      await fetchNpmPackage(file.npm, file.integrity, target, where);
      ctx.out.info(`${file.path}: ${file.npm}, integrity checked`);
    } else {
      await runGenerator(file.run, ctx.config.rootDir, target, where);
    }
  }
}
