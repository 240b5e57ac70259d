/**
 * The committed tree as a zip (`git archive HEAD`): what the S3 source of a pipeline or of the
 * image-rebuild project delivers. Streamed from git, never held in memory whole. Uncommitted
 * changes are not in it, as they would not be in the bucket either.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ConfigError, type Context, firstLine, hasUncommittedChanges, headCommit } from "@prebake/core";

export interface SourceArchive {
  /** The zip's bytes as git writes them. */
  stream: Readable;
  /** The commit archived. */
  commit: string;
  /** Resolves when git has exited 0; rejects (one ConfigError) otherwise. */
  done: Promise<void>;
  /** Stop git (the upload or copy failed). */
  cancel(): void;
}

const notARepository = (root: string, why: string) =>
  new ConfigError(`cannot archive the repository with git (${why})`, {
    where: root,
    fix: "run it in a git checkout with a commit",
  });

/**
 * Start `git archive --format=zip <commit>` of HEAD and hand its output over as a stream. Read it
 * (pipe it) before awaiting anything else: Node discards a child's unread output when it exits.
 */
export async function sourceArchive(root: string): Promise<SourceArchive> {
  const commit = await headCommit(root).catch((err: unknown) => {
    throw notARepository(root, firstLine(err));
  });
  const git: ChildProcess = spawn("git", ["archive", "--format=zip", commit], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  git.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    git.on("error", (err) => reject(notARepository(root, firstLine(err))));
    git.on("close", (code, signal) =>
      code === 0 ? resolve() : reject(notARepository(root, firstLine(stderr) || `git ${signal ?? code}`)),
    );
  });
  done.catch(() => undefined); // awaited by the caller; a cancel must not be an unhandled rejection
  return { stream: git.stdout as Readable, commit, done, cancel: () => git.kill() };
}

/** Write the archive of HEAD to a file; returns the commit archived. */
export async function writeSourceArchive(ctx: Context, file: string): Promise<string> {
  const dirty = await hasUncommittedChanges(ctx.config.rootDir);
  const archive = await sourceArchive(ctx.config.rootDir);
  if (dirty)
    ctx.out.warn(
      `uncommitted changes are not in the source archive (it holds commit ${archive.commit.slice(0, 12)})`,
    );
  try {
    await Promise.all([pipeline(archive.stream, createWriteStream(file)), archive.done]);
  } catch (err) {
    archive.cancel();
    throw err;
  }
  return archive.commit;
}
