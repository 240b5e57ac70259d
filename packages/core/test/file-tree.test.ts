import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, ExitCode, linkProblem, listTree, readTreeFile } from "../src/index.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "prebake-tree-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("linkProblem: a link may travel only when it is relative and stays in its folder", () => {
  const problem = (links: Record<string, string>, path: string) =>
    linkProblem(new Map(Object.entries(links)), path);

  it("keeps relative links inside the folder, also to folders and to nothing", () => {
    expect(problem({ "pkg/alias.py": "impl.py" }, "pkg/alias.py")).toBeUndefined();
    expect(problem({ "pkg/up": "../other/x" }, "pkg/up")).toBeUndefined();
    expect(problem({ dangling: "not/there" }, "dangling")).toBeUndefined();
    expect(problem({ "a/b/c": "./../../d" }, "a/b/c")).toBeUndefined();
  });

  it("refuses an absolute target and one that climbs out", () => {
    expect(problem({ "pkg/creds.txt": "/root/.aws/credentials" }, "pkg/creds.txt")).toBe(
      "its target is an absolute path",
    );
    expect(problem({ "pkg/up": "../../etc/passwd" }, "pkg/up")).toBe("its target leaves the folder");
    expect(problem({ top: ".." }, "top")).toBe("its target leaves the folder");
  });

  it("resolves through other links as the kernel does: `..` after a link applies where the link led", () => {
    // Lexically a/b/../x is inside, but b leads to the folder's root, so b/../x is outside it.
    expect(problem({ "deep/b": "..", "deep/a": "b/../x" }, "deep/a")).toBe("its target leaves the folder");
    expect(problem({ "d/e/b": "../..", a: "d/e/b/../y" }, "a")).toBe("its target leaves the folder");
    expect(problem({ via: "abs", abs: "/etc" }, "via")).toBe(
      "it leads through abs, whose target is an absolute path",
    );
    expect(problem({ x: "y", y: "x" }, "x")).toBe("its target is a loop of links");
    expect(problem({ "deep/b": "c/d", "deep/a": "b/../x" }, "deep/a")).toBeUndefined();
  });
});

describe("listTree", () => {
  it("lists files and links sorted bytewise, links not followed, sockets and folders left out", () => {
    const root = tempDir();
    mkdirSync(join(root, "pkg/sub"), { recursive: true });
    writeFileSync(join(root, "pkg/sub/a.py"), "A\n");
    writeFileSync(join(root, "pkg/B.py"), "B\n");
    symlinkSync("sub", join(root, "pkg/folder-link"));
    symlinkSync("sub/a.py", join(root, "pkg/file-link"));
    const tree = listTree(root);
    return expect(tree).resolves.toEqual([
      { path: "pkg/B.py", type: "file", mode: expect.any(Number), size: 2 },
      { path: "pkg/file-link", type: "symlink", mode: expect.any(Number), size: 8, target: "sub/a.py" },
      { path: "pkg/folder-link", type: "symlink", mode: expect.any(Number), size: 3, target: "sub" },
      { path: "pkg/sub/a.py", type: "file", mode: expect.any(Number), size: 2 },
    ]);
  });

  it("refuses a link out of the folder with one line naming the file (exit 3)", async () => {
    const root = tempDir();
    const outside = join(tempDir(), "canary.txt");
    writeFileSync(outside, "canary\n");
    mkdirSync(join(root, "pkg"));
    symlinkSync(outside, join(root, "pkg/creds.txt"));
    const err = await listTree(root, (p) => `layers/x/python/${p}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.CONFIG);
    expect((err as ConfigError).toLine()).toBe(
      `layers/x/python/pkg/creds.txt: symlink to ${outside} refused: its target is an absolute path ` +
        "(fix: make it a relative link to a file inside the same folder, or copy the file in (a link is never followed))",
    );
  });

  it("readTreeFile does not follow a file swapped for a link after the listing", async () => {
    const root = tempDir();
    writeFileSync(join(root, "x"), "x");
    const [file] = await listTree(root);
    rmSync(join(root, "x"));
    symlinkSync("/etc/hostname", join(root, "x"));
    await expect(readTreeFile(root, file!.path)).rejects.toThrow(/ELOOP/);
  });
});
