import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rememberedAnswer, toolAnswerFile } from "../src/tool-answer.ts";

describe("rememberedAnswer", () => {
  it("asks once per fingerprint and keeps only answers worth keeping", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-answer-"));
    const file = toolAnswerFile(root, "probe");
    let asked = 0;
    const ask = async () => `answer ${++asked}`;
    expect(await rememberedAnswer(file, "fp1", ask)).toBe("answer 1");
    expect(await rememberedAnswer(file, "fp1", ask)).toBe("answer 1");
    expect(await rememberedAnswer(file, "fp2", ask)).toBe("answer 2");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ fingerprint: "fp2", answer: "answer 2" });
    expect(await rememberedAnswer(file, "fp3", ask, () => false)).toBe("answer 3");
    expect(await rememberedAnswer(file, "fp3", ask, () => false)).toBe("answer 4");
    expect(JSON.parse(readFileSync(file, "utf8")).fingerprint).toBe("fp2");
  });
});
