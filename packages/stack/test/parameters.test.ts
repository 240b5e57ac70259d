import { describe, expect, it } from "vitest";
import { isNoEcho, type Parameter, parameterProblem } from "../src/index.ts";

const problem = (p: Partial<Parameter>, value: string) =>
  parameterProblem({ Type: "String", ...p } as Parameter, value)?.message;

describe("parameter constraints (the one check deploy and render use)", () => {
  it("checks pattern (whole value), allowed values, numbers and lengths as CloudFormation does", () => {
    expect(problem({ AllowedPattern: "[a-z]+" }, "abc")).toBeUndefined();
    expect(problem({ AllowedPattern: "[a-z]+" }, "abc1")).toMatch(/does not match/); // whole value
    expect(problem({ AllowedValues: ["A"] }, "B")).toBe("'B' is not an allowed value");
    expect(parameterProblem({ Type: "String", AllowedValues: ["A", "C"] }, "B")?.fix).toBe(
      "use one of: A, C",
    );
    expect(problem({ Type: "Number", MaxValue: 5 }, "6")).toBe("6 is above 5");
    expect(problem({ Type: "Number" }, "x")).toBe("'x' is not a number");
    expect(problem({ Type: "List<Number>", MinValue: 1 }, "3,0")).toBe("0 is below 1");
    expect(problem({ MaxLength: 2 }, "abc")).toBe("'abc' is longer than 2 characters");
    expect(problem({ AllowedPattern: "(" }, "x")).toMatch(/is not a valid pattern/);
  });

  it("the ConstraintDescription is the fix when the template gives one", () => {
    expect(
      parameterProblem({ Type: "String", AllowedPattern: "\\d+", ConstraintDescription: "digits" }, "x"),
    ).toEqual({
      message: "'x' does not match the pattern \\d+",
      fix: "digits",
    });
  });

  it("a NoEcho value is never quoted, whatever the constraint", () => {
    const secret = "s3cr3t-value";
    for (const p of [
      { AllowedPattern: "[a-z]+" },
      { AllowedValues: ["a"] },
      { MinLength: 40 },
      { MaxLength: 2 },
      { Type: "Number" },
      { Type: "Number", MinValue: 1e12 },
    ]) {
      const message = problem({ ...p, NoEcho: true }, p.Type === "Number" && p.MinValue ? "42" : secret);
      expect(message).toMatch(/^the NoEcho value /);
      expect(message).not.toContain(secret);
      expect(message).not.toContain("42");
    }
    expect(isNoEcho({ NoEcho: "true" as unknown as boolean })).toBe(true);
    expect(isNoEcho({})).toBe(false);
  });
});
