/**
 * writeFileAtomic: a reader sees the old content or the new one, never a mix, also when one process
 * writes the same file many times at once (a batch of tasks): each write has its own temp file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "prebake-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("20 writes of one file at once all succeed; the file is one of them whole; no temp file is left", async () => {
    const path = join(dir, "record.json");
    const contents = Array.from({ length: 20 }, (_, i) => `${String(i).repeat(50_000)}\n`);
    const results = await Promise.allSettled(contents.map((c) => writeFileAtomic(path, c)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(contents).toContain(readFileSync(path, "utf8"));
    expect(readdirSync(dir)).toEqual(["record.json"]);
  });
});
