import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileDigests, REMEMBERED_DIGEST_MIN_BYTES } from "../src/file-digests.ts";

/** Every file counts as settled however recently written (the tests do not wait 2 s). */
const settledAtOnce = { racyMs: Number.NEGATIVE_INFINITY };

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

function largeFile(dir: string, name = "big.bin"): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(REMEMBERED_DIGEST_MIN_BYTES + 1, 7));
  return path;
}

/** Rewrite a remembered digest in the memo file, to see whether the next answer comes from it. */
function tamper(memo: string, value: string): void {
  const entries = JSON.parse(readFileSync(memo, "utf8")) as Record<string, { digest: string }>;
  for (const entry of Object.values(entries)) entry.digest = value;
  writeFileSync(memo, JSON.stringify(entries));
}

describe("FileDigests", () => {
  it("answers a large file's digest from memory while its stamp is unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const path = largeFile(dir);
    const memo = join(dir, "memo.json");
    const first = new FileDigests(memo, settledAtOnce);
    expect(first.digest(path, "sha256", "hex")).toBe(sha256(readFileSync(path)));
    await first.save();
    tamper(memo, "remembered");
    expect(new FileDigests(memo, settledAtOnce).digest(path, "sha256", "hex")).toBe("remembered");
  });

  it("hashes again after the file is written (the stamp changed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const path = largeFile(dir);
    const memo = join(dir, "memo.json");
    const digests = new FileDigests(memo, settledAtOnce);
    digests.digest(path, "sha256", "hex");
    await digests.save();
    tamper(memo, "stale");
    appendFileSync(path, "x");
    const again = new FileDigests(memo, settledAtOnce);
    expect(again.digest(path, "sha256", "hex")).toBe(sha256(readFileSync(path)));
  });

  it("drops the entries of files that are gone when it saves", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const memo = join(dir, "memo.json");
    const kept = largeFile(dir, "kept.bin");
    const removed = largeFile(dir, "removed.bin");
    const first = new FileDigests(memo, settledAtOnce);
    first.digest(kept, "sha256", "hex");
    first.digest(removed, "sha256", "hex");
    await first.save();
    rmSync(removed);
    const second = new FileDigests(memo, settledAtOnce);
    second.digest(largeFile(dir, "new.bin"), "sha256", "hex");
    await second.save();
    const paths = Object.keys(JSON.parse(readFileSync(memo, "utf8"))).map((k) => k.replace(/^.*\//, ""));
    expect(paths.sort()).toEqual(["kept.bin", "new.bin"]);
  });

  it("keeps the algorithms apart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const path = largeFile(dir);
    const digests = new FileDigests(join(dir, "memo.json"), settledAtOnce);
    const hex = digests.digest(path, "sha256", "hex");
    const integrity = digests.digest(path, "sha512", "base64");
    expect(integrity).toBe(createHash("sha512").update(readFileSync(path)).digest("base64"));
    expect(digests.digest(path, "sha256", "hex")).toBe(hex);
    expect(digests.digest(path, "sha512", "base64")).toBe(integrity);
  });

  it("does not remember a file changed just before it was read (a write in the same tick keeps the stamp)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const path = largeFile(dir);
    const memo = join(dir, "memo.json");
    const digests = new FileDigests(memo);
    expect(digests.digest(path, "sha256", "hex")).toBe(sha256(readFileSync(path)));
    await digests.save();
    expect(() => readFileSync(memo)).toThrow(); // nothing learnt, nothing written
  });

  it("does not keep small files, and reads past a memo file that is not JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-digests-"));
    const small = join(dir, "small.txt");
    writeFileSync(small, "hello");
    const memo = join(dir, "memo.json");
    writeFileSync(memo, "{ not json");
    const digests = new FileDigests(memo, settledAtOnce);
    expect(digests.digest(small, "sha256", "hex")).toBe(sha256("hello"));
    expect(digests.digest(largeFile(dir), "sha256", "hex")).toHaveLength(64);
    await digests.save();
    expect(Object.keys(JSON.parse(readFileSync(memo, "utf8")))).toEqual([
      expect.stringMatching(/^sha256:hex:.*big\.bin$/),
    ]);
  });
});
