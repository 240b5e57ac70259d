import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { firstLine } from "./errors.ts";

/**
 * The one git reader: what run records and image labels say about the checkout, best effort (a
 * checkout without git, or without git installed, still works), and the commit a source archive
 * holds, strict (headCommit: no commit is an error the caller words).
 */

/** Git facts recorded in OCI labels. */
export interface GitInfo {
  revision: string | undefined;
  source: string | undefined;
}

const execFileAsync = promisify(execFile);

// Asynchronous: a batch runs several image tasks at once, and a synchronous git call would stall
// all of them for its whole run.
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await execFileAsync("git", args, { cwd, encoding: "utf8" })).stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit HEAD names. Rejects, with git's own reason as the message, outside a checkout, before
 * the first commit, or without git: for callers to whom no commit is an error.
 */
export async function headCommit(cwd: string): Promise<string> {
  try {
    return (await execFileAsync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8" })).stdout.trim();
  } catch (err) {
    throw new Error(firstLine((err as { stderr?: string }).stderr || err));
  }
}

/** Whether tracked files differ from HEAD (what `git archive HEAD` leaves out); false outside git. */
export async function hasUncommittedChanges(cwd: string): Promise<boolean> {
  return Boolean(await git(cwd, ["status", "--porcelain", "--untracked-files=no"]));
}

/** HEAD and the origin URL (credentials in the URL are dropped: labels are public). */
export async function readGitInfo(cwd: string): Promise<GitInfo> {
  const [revision, origin] = await Promise.all([
    git(cwd, ["rev-parse", "HEAD"]),
    git(cwd, ["remote", "get-url", "origin"]),
  ]);
  return { revision: revision || undefined, source: origin?.replace(/\/\/[^@/]+@/, "//") || undefined };
}

/**
 * HEAD of the checkout holding `cwd`, `-dirty` when tracked files under `cwd` changed; undefined
 * outside git. The one git reader for run records (history lines, CODEBUILD_RESOLVED_SOURCE_VERSION).
 */
export async function gitRevision(cwd: string): Promise<string | undefined> {
  const commit = await git(cwd, ["rev-parse", "HEAD"]);
  if (!commit) return undefined;
  const changes = await git(cwd, ["status", "--porcelain", "--untracked-files=no", "--", "."]);
  if (changes === undefined) return undefined;
  return changes ? `${commit}-dirty` : commit;
}
