import { describe, expect, it } from "vitest";
import { configErrorOf, didYouMean, ExitCode } from "../src/index.ts";

describe("did you mean", () => {
  it("names the close known word: a typo, a swap, another case; nothing for a word far from all", () => {
    const keys = ["commands", "finally", "run-as", "on-failure", "runtime-versions"];
    expect(didYouMean("comands", keys)).toBe("commands");
    expect(didYouMean("finaly", keys)).toBe("finally");
    expect(didYouMean("Commands", keys)).toBe("commands");
    expect(didYouMean("region", ["regoin", "endpoint"])).toBe("regoin");
    expect(didYouMean("steps", keys)).toBeUndefined();
    expect(didYouMean("ab", ["xy"])).toBeUndefined();
  });
});

describe("configErrorOf", () => {
  it("reads as the first problem, counts the rest, keeps them all (exit 3)", () => {
    const err = configErrorOf([
      { where: "a.yml:1:1", message: "first", fix: "f1" },
      { where: "a.yml:4:3", message: "second", fix: "f2" },
    ]);
    expect(err.exitCode).toBe(ExitCode.CONFIG);
    expect(err.toLine()).toBe("a.yml:1:1: first (and 1 more listed above) (fix: f1)");
    expect(err.problems).toHaveLength(2);
    expect(configErrorOf([{ where: "b.yml:2:1", message: "only" }]).problems).toEqual([]);
  });
});
