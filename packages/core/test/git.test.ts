/** The one git reader against real repositories in temp folders: strict HEAD, best-effort facts. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitRevision, hasUncommittedChanges, headCommit, readGitInfo } from "../src/index.ts";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();

function repository(): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-git-"));
  git(root, "init", "-q");
  writeFileSync(join(root, "a.txt"), "a\n");
  git(root, "add", "a.txt");
  return root;
}

describe("headCommit", () => {
  it("is HEAD's commit in a checkout", async () => {
    const root = repository();
    git(root, "commit", "-qm", "one");
    expect(await headCommit(root)).toBe(git(root, "rev-parse", "HEAD"));
  });

  it("rejects with git's reason before the first commit and outside a checkout", async () => {
    await expect(headCommit(repository())).rejects.toThrow(/ambiguous argument 'HEAD'|unknown revision/);
    await expect(headCommit(mkdtempSync(join(tmpdir(), "prebake-nogit-")))).rejects.toThrow(
      /not a git repository/,
    );
  });
});

describe("the best-effort readers", () => {
  it("say what changed since HEAD, and nothing outside a checkout", async () => {
    const root = repository();
    git(root, "commit", "-qm", "one");
    const commit = git(root, "rev-parse", "HEAD");
    expect(await hasUncommittedChanges(root)).toBe(false);
    expect(await gitRevision(root)).toBe(commit);
    writeFileSync(join(root, "a.txt"), "changed\n");
    expect(await hasUncommittedChanges(root)).toBe(true);
    expect(await gitRevision(root)).toBe(`${commit}-dirty`);

    const outside = mkdtempSync(join(tmpdir(), "prebake-nogit-"));
    expect(await hasUncommittedChanges(outside)).toBe(false);
    expect(await gitRevision(outside)).toBeUndefined();
    expect(await readGitInfo(outside)).toEqual({ revision: undefined, source: undefined });
  });

  it("drop credentials from the origin URL", async () => {
    const root = repository();
    git(root, "remote", "add", "origin", "https://user:token@example.com/team/repo.git");
    expect((await readGitInfo(root)).source).toBe("https://example.com/team/repo.git");
  });
});
