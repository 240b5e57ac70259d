import { chmodSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { listContextFiles, packContext } from "../src/context.ts";
import { computeContentHash, type HashInputs } from "../src/hash.ts";
import { writeImageFolder } from "./helpers.ts";

function folder(files: Record<string, string>) {
  return join(writeImageFolder("h", files), "h");
}

function inputsFor(dir: string, extra: Partial<HashInputs> = {}): HashInputs {
  return {
    dockerfile: "Dockerfile",
    files: listContextFiles(dir),
    buildArgs: { A: "1", BASE_IMAGE: "prebake/debian:bookworm" },
    labels: { "org.opencontainers.image.version": "1.0" },
    platform: "linux/amd64",
    baseImageId: "sha256:base1",
    ...extra,
  };
}

describe("build context (.dockerignore)", () => {
  it("sends what .dockerignore lets through, always with the Dockerfile and .dockerignore, sorted", () => {
    const dir = folder({
      Dockerfile: "FROM scratch\n",
      ".dockerignore": "*\n!Dockerfile\n!activate\n!wheels/*.whl\n",
      activate: "x",
      "notes.md": "not sent",
      "wheels/pip-1.whl": "w",
      "wheels/readme.txt": "not sent",
    });
    expect(listContextFiles(dir).map((f) => f.path)).toEqual([
      ".dockerignore",
      "Dockerfile",
      "activate",
      "wheels/pip-1.whl",
    ]);
  });

  it("prunes ignored folders, honours ** patterns, and keeps symlinks as links", () => {
    const dir = folder({
      Dockerfile: "x",
      ".dockerignore": "build\n**/*.log\n",
      "build/a": "a",
      "src/b.log": "b",
      "src/c": "c",
    });
    symlinkSync("src/c", join(dir, "link"));
    const files = listContextFiles(dir);
    expect(files.map((f) => f.path)).toEqual([".dockerignore", "Dockerfile", "link", "src/c"]);
    expect(files.find((f) => f.path === "link")!.type).toBe("symlink");
  });

  it("the tar holds exactly the listed files", async () => {
    const dir = folder({
      Dockerfile: "FROM scratch\n",
      ".dockerignore": "secret\n",
      secret: "S3CRET",
      keep: "k",
    });
    const tarText = await text(packContext(dir, listContextFiles(dir)));
    expect(tarText).toContain("keep");
    expect(tarText).not.toContain("S3CRET");
  });
});

describe("content hash", () => {
  const base = () =>
    folder({
      Dockerfile: "FROM scratch\nCOPY a /a\n",
      ".dockerignore": "ignored.txt\n",
      a: "1",
      "ignored.txt": "i",
    });

  it("is stable for the same inputs", () => {
    const dir = base();
    expect(computeContentHash(inputsFor(dir))).toBe(computeContentHash(inputsFor(dir)));
  });

  it("an ignored file's content does not count", () => {
    const dir = base();
    const before = computeContentHash(inputsFor(dir));
    writeFileSync(join(dir, "ignored.txt"), "changed content");
    expect(computeContentHash(inputsFor(dir))).toBe(before);
  });

  it.each<[string, (dir: string) => Partial<HashInputs> | undefined]>([
    ["the Dockerfile", (d) => void writeFileSync(join(d, "Dockerfile"), "FROM scratch\nCOPY a /b\n")],
    ["a context file's content", (d) => void writeFileSync(join(d, "a"), "2")],
    ["a context file's mode", (d) => void chmodSync(join(d, "a"), 0o755)],
    ["a new context file", (d) => void writeFileSync(join(d, "b"), "new")],
    ["the Dockerfile name", () => ({ dockerfile: "Dockerfile.alt" })],
    ["a build arg", () => ({ buildArgs: { A: "2", BASE_IMAGE: "prebake/debian:bookworm" } })],
    ["a label", () => ({ labels: { "org.opencontainers.image.version": "1.1" } })],
    ["the platform", () => ({ platform: "linux/arm64" })],
    ["the base image id", () => ({ baseImageId: "sha256:base2" })],
  ])("changes when %s changes", (_what, change) => {
    const dir = base();
    const before = computeContentHash(inputsFor(dir));
    const extra = change(dir) ?? {};
    expect(computeContentHash(inputsFor(dir, extra))).not.toBe(before);
  });

  it("does not depend on the order build args or labels are written in", () => {
    const dir = base();
    const a = computeContentHash(inputsFor(dir, { buildArgs: { X: "1", Y: "2" } }));
    const b = computeContentHash(inputsFor(dir, { buildArgs: { Y: "2", X: "1" } }));
    expect(a).toBe(b);
    expect(a).toMatch(/^sha256:[a-f0-9]{64}$/);
  });
});
