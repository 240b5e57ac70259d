import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deterministicZip } from "../src/zip.ts";
import { readZipEntries } from "../src/zip-read.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tree(files: [string, string][], mtime: Date, mode: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "prebake-zip-"));
  dirs.push(dir);
  for (const [rel, text] of files) {
    await mkdir(join(dir, rel, ".."), { recursive: true });
    await writeFile(join(dir, rel), text);
    await chmod(join(dir, rel), mode);
    await utimes(join(dir, rel), mtime, mtime);
  }
  return dir;
}

describe("deterministic zip", () => {
  const files: [string, string][] = [
    ["python/b/__init__.py", "B = 2\n"],
    ["python/a/__init__.py", "A = 1\n"],
    ["python/a/z.py", "Z = 26\n".repeat(100)],
    ["python/a-1.0.dist-info/METADATA", "Name: a\n"],
  ];

  it("gives the same bytes and sha256 for the same contents, whatever the creation order, mtimes and modes", async () => {
    const one = await tree(files, new Date("2021-03-04T05:06:07Z"), 0o644);
    const two = await tree([...files].reverse(), new Date("2025-12-31T23:59:59Z"), 0o755);
    const z1 = await deterministicZip(one, join(one, "..", `${one.split("/").pop()}-1.zip`));
    const z2 = await deterministicZip(two, join(two, "..", `${two.split("/").pop()}-2.zip`));
    dirs.push(z1.path, z2.path);
    expect(z1.sha256).toBe(z2.sha256);
    expect(
      createHash("sha256")
        .update(await readFile(z1.path))
        .digest("hex"),
    ).toBe(z1.sha256);
    expect(Buffer.compare(await readFile(z1.path), await readFile(z2.path))).toBe(0);
    expect(z1.unzippedBytes).toBe(files.reduce((n, [, t]) => n + t.length, 0));
  });

  it("stores entries sorted, without directory entries, with a fixed 1980-01-01 timestamp and 0644", async () => {
    const one = await tree(files, new Date(), 0o755);
    const z = await deterministicZip(one, `${one}.zip`);
    dirs.push(z.path);
    const entries = await readZipEntries(z.path, () => false);
    expect(entries.map((e) => e.path)).toEqual([
      "python/a-1.0.dist-info/METADATA",
      "python/a/__init__.py",
      "python/a/z.py",
      "python/b/__init__.py",
    ]);
    const raw = await readFile(z.path);
    // Central directory: DOS time/date of each entry (0x0000 / 1980-01-01 = 0x0021) and external attrs (mode << 16).
    let at = raw.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    let seen = 0;
    while (at >= 0) {
      expect(raw.readUInt16LE(at + 12)).toBe(0);
      expect(raw.readUInt16LE(at + 14)).toBe(0x21);
      expect(raw.readUInt32LE(at + 38) >>> 16).toBe(0o100644);
      seen++;
      at = raw.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4);
    }
    expect(seen).toBe(4);
  });

  it("changes the hash when one byte changes", async () => {
    const one = await tree(files, new Date(), 0o644);
    const two = await tree(
      [...files.slice(0, 3), ["python/a-1.0.dist-info/METADATA", "Name: b\n"]],
      new Date(),
      0o644,
    );
    const [z1, z2] = [await deterministicZip(one, `${one}.zip`), await deterministicZip(two, `${two}.zip`)];
    dirs.push(z1.path, z2.path);
    expect(z1.sha256).not.toBe(z2.sha256);
  });
});
