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
    expect(JSON.parse(readFileSync(file, "utf8")).answer).toBe("answer 2");
    expect(await rememberedAnswer(file, "fp3", ask, () => false)).toBe("answer 3");
    expect(await rememberedAnswer(file, "fp3", ask, () => false)).toBe("answer 4");
    expect(JSON.parse(readFileSync(file, "utf8")).answer).toBe("answer 2");
  });

  it("writes the fingerprint down only as a hash (it may hold a variable's secret)", async () => {
    const file = toolAnswerFile(mkdtempSync(join(tmpdir(), "prebake-answer-")), "probe");
    await rememberedAnswer(file, "PIP_PROXY=http://user:s3cr3t@proxy:3128", async () => "answer");
    expect(readFileSync(file, "utf8")).not.toContain("s3cr3t");
    expect(
      await rememberedAnswer(file, "PIP_PROXY=http://user:s3cr3t@proxy:3128", async () => "asked again"),
    ).toBe("answer");
  });
});
