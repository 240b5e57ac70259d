import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseYaml, type Template } from "@prebake/stack";
import { describe, expect, it } from "vitest";

/**
 * stacks/ci's ComputeType (the committed, cfn-lint-checked stack.yaml): every allowed value gives
 * an app project on it (hello-erlang: its app.yaml names no compute type) a coherent environment. The condition is evaluated here as
 * CloudFormation evaluates it (Equals / Select / Split / Ref), for each allowed value.
 */
const template = parseYaml(
  readFileSync(resolve(import.meta.dirname, "../../../stacks/ci/stack.yaml"), "utf8"),
) as Template & { Conditions: Record<string, unknown> };

type Node = Record<string, unknown> | string | number | unknown[];

function evaluate(
  node: Node,
  parameters: Record<string, string>,
  conditions: Record<string, boolean>,
): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node;
  const [name, arg] = Object.entries(node)[0] as [string, Node];
  const args = Array.isArray(arg) ? arg : [];
  const value = (n: unknown) => evaluate(n as Node, parameters, conditions);
  switch (name) {
    case "Ref":
      return (arg as string) === "AWS::NoValue" ? undefined : parameters[arg as string];
    case "Fn::Equals":
      return value(args[0]) === value(args[1]);
    case "Fn::Select":
      return (value(args[1]) as unknown[])[Number(value(args[0]))];
    case "Fn::Split":
      return String(value(args[1])).split(String(args[0]));
    case "Fn::If":
      return conditions[args[0] as string] ? value(args[1]) : value(args[2]);
    default:
      return node;
  }
}

describe("stacks/ci: the ComputeType parameter", () => {
  const parameter = (template.Parameters as Record<string, { AllowedValues: string[]; Default: string }>)
    .ComputeType!;
  const project = (template.Resources as Record<string, { Properties: Record<string, Node> }>)
    .HelloErlangAppProject!;

  it("offers EC2 and Lambda compute, EC2 small by default", () => {
    expect(parameter.Default).toBe("BUILD_GENERAL1_SMALL");
    expect(parameter.AllowedValues.filter((v) => v.startsWith("BUILD_LAMBDA_"))).toEqual([
      "BUILD_LAMBDA_1GB",
      "BUILD_LAMBDA_2GB",
      "BUILD_LAMBDA_4GB",
      "BUILD_LAMBDA_8GB",
      "BUILD_LAMBDA_10GB",
    ]);
  });

  it.each(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_LARGE", "BUILD_LAMBDA_1GB", "BUILD_LAMBDA_10GB"])(
    "%s: the environment type follows the compute type; Lambda compute gets no build timeout",
    (computeType) => {
      expect(parameter.AllowedValues).toContain(computeType);
      const parameters = { ComputeType: computeType };
      const conditions = Object.fromEntries(
        Object.entries(template.Conditions).map(([k, v]) => [
          k,
          evaluate(v as Node, parameters, {}) === true,
        ]),
      );
      const env = project.Properties.Environment as Record<string, Node>;
      const lambda = computeType.startsWith("BUILD_LAMBDA_");
      expect(evaluate(env.Type!, parameters, conditions)).toBe(
        lambda ? "LINUX_LAMBDA_CONTAINER" : "LINUX_CONTAINER",
      );
      expect(evaluate(env.ComputeType!, parameters, conditions)).toBe(computeType);
      expect(evaluate(project.Properties.TimeoutInMinutes!, parameters, conditions)).toBe(
        lambda ? undefined : 30,
      );
    },
  );
});
