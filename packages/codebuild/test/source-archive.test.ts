/** The source archive is strict where core's git facts are best effort: no commit is a one-line error. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { sourceArchive } from "../src/source-archive.ts";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();

describe("sourceArchive", () => {
  it("refuses a checkout without a commit, and a folder outside git, naming the folder", async () => {
    const uncommitted = mkdtempSync(join(tmpdir(), "prebake-archive-"));
    git(uncommitted, "init", "-q");
    for (const root of [uncommitted, mkdtempSync(join(tmpdir(), "prebake-archive-nogit-"))]) {
      const err = await sourceArchive(root).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).toLine()).toContain(`cannot archive the repository with git`);
      expect((err as ConfigError).toLine()).toContain(root);
    }
  });

  it("archives the commit HEAD names", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-archive-"));
    git(root, "init", "-q");
    writeFileSync(join(root, "a.txt"), "a\n");
    git(root, "add", "a.txt");
    git(root, "commit", "-qm", "one");
    const archive = await sourceArchive(root);
    const chunks: Buffer[] = [];
    for await (const chunk of archive.stream) chunks.push(chunk as Buffer);
    await archive.done;
    expect(archive.commit).toBe(git(root, "rev-parse", "HEAD"));
    expect(Buffer.concat(chunks).subarray(0, 2).toString()).toBe("PK");
  });
});
