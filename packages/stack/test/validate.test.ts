import { describe, expect, it } from "vitest";
import {
  ConfigErrorLine,
  defineTemplate,
  formatFinding,
  GetAtt,
  parseCfnLintOutput,
  Ref,
  resource,
  Sub,
  subReferences,
  type Template,
  validateParameterValues,
  validateTemplate,
} from "./helpers.ts";

const where = "stacks/x/stack.ts";
const line = (fn: () => void) => ConfigErrorLine(fn);

const base = (): Template =>
  defineTemplate({
    Parameters: {
      ErlangVersion: { Type: "String", Default: "27.1", AllowedPattern: "^\\d+\\.\\d+(\\.\\d+){0,2}$" },
    },
    Resources: {
      Role: resource("AWS::IAM::Role", { AssumeRolePolicyDocument: {} }),
      Project: resource("AWS::CodeBuild::Project", {
        ServiceRole: GetAtt("Role", "Arn"),
        Source: { Type: "NO_SOURCE" },
        Artifacts: { Type: "NO_ARTIFACTS" },
        Environment: {
          Type: "LINUX_CONTAINER",
          ComputeType: "BUILD_GENERAL1_SMALL",
          Image: Sub("img:${ErlangVersion}"),
        },
      }),
    },
  });

describe("template validation", () => {
  it("accepts a template whose references all resolve", () => {
    expect(() => validateTemplate(base(), where)).not.toThrow();
  });

  it("names a dangling !Ref with its path", () => {
    const t = base();
    t.Resources.Project!.Properties!.Description = Ref("Nope");
    expect(line(() => validateTemplate(t, where))).toBe(
      "stacks/x/stack.ts: Resources.Project.Properties.Description: !Ref 'Nope' is dangling: no parameter, resource or pseudo parameter has that name (fix: declare it or correct the name)",
    );
  });

  it("names a dangling ${Var} inside !Sub, but not Sub-local variables or ${!Literal}", () => {
    const t = base();
    t.Resources.Project!.Properties!.Description = Sub("${Missing}-${Local}-${!Escaped}", { Local: "x" });
    expect(line(() => validateTemplate(t, where))).toContain("!Sub 'Missing' is dangling");
    expect(subReferences("${A}-${B.Arn}-${!C}")).toEqual(["A", "B.Arn"]);
  });

  it("names a !GetAtt of a resource that does not exist", () => {
    const t = base();
    t.Resources.Project!.Properties!.ServiceRole = GetAtt("Ghost", "Arn");
    expect(line(() => validateTemplate(t, where))).toContain(
      "!GetAtt names 'Ghost', which is not a resource",
    );
  });

  it("refuses a CodeBuild project without a service role", () => {
    const t = base();
    delete t.Resources.Project!.Properties!.ServiceRole;
    expect(line(() => validateTemplate(t, where))).toBe(
      "stacks/x/stack.ts: Resources.Project.Properties.ServiceRole: CodeBuild project Project has no service role (fix: set ServiceRole: GetAtt(<role>, 'Arn') to the role the project runs as)",
    );
  });

  it("refuses a parameter without Type, a pattern that does not compile, and a default that breaks its pattern", () => {
    const noType = base();
    (noType.Parameters!.ErlangVersion as { Type?: string }).Type = undefined;
    expect(line(() => validateTemplate(noType, where))).toContain("Parameters.ErlangVersion.Type");
    const badPattern = base();
    badPattern.Parameters!.ErlangVersion!.AllowedPattern = "([";
    expect(line(() => validateTemplate(badPattern, where))).toContain(
      "Parameters.ErlangVersion.AllowedPattern: not a valid pattern",
    );
    const badDefault = base();
    badDefault.Parameters!.ErlangVersion!.Default = "latest";
    expect(line(() => validateTemplate(badDefault, where))).toContain(
      "Parameters.ErlangVersion.Default: 'latest' does not match",
    );
  });

  it("refuses DependsOn and Condition names that do not exist", () => {
    const t = base();
    t.Resources.Project!.DependsOn = "Nope";
    expect(line(() => validateTemplate(t, where))).toContain("DependsOn names 'Nope'");
    const c = base();
    c.Resources.Project!.Condition = "IsProd";
    expect(line(() => validateTemplate(c, where))).toContain("condition 'IsProd' is not defined");
  });
});

describe("parameter values", () => {
  const shown = (k: string) => `prebake.config.yaml: stacks.ci.parameters.${k}`;

  it("refuses a value that does not match the whole pattern (no shell injection through a version)", () => {
    expect(line(() => validateParameterValues(base(), { ErlangVersion: "27.1; rm -rf /" }, shown))).toBe(
      "prebake.config.yaml: stacks.ci.parameters.ErlangVersion: '27.1; rm -rf /' does not match the pattern ^\\d+\\.\\d+(\\.\\d+){0,2}$ (fix: use a value that matches ^\\d+\\.\\d+(\\.\\d+){0,2}$)",
    );
    expect(() => validateParameterValues(base(), { ErlangVersion: "26.2.5" }, shown)).not.toThrow();
  });

  it("checks numbers and lengths the way CloudFormation will", () => {
    const t = defineTemplate({
      Parameters: {
        Days: { Type: "Number", MinValue: 1, MaxValue: 365 },
        Name: { Type: "String", MinLength: 2, MaxLength: 4 },
      },
      Resources: {},
    });
    expect(line(() => validateParameterValues(t, { Days: "ten" }, "c"))).toBe(
      "c.Days: 'ten' is not a number (fix: use a number)",
    );
    expect(line(() => validateParameterValues(t, { Days: "400" }, "c"))).toContain(
      "c.Days: 400 is above 365",
    );
    expect(line(() => validateParameterValues(t, { Days: "0" }, "c"))).toContain("c.Days: 0 is below 1");
    expect(line(() => validateParameterValues(t, { Name: "x" }, "c"))).toContain("shorter than 2 characters");
    expect(line(() => validateParameterValues(t, { Name: "toolong" }, "c"))).toContain(
      "longer than 4 characters",
    );
    expect(() => validateParameterValues(t, { Days: "30", Name: "ab" }, "c")).not.toThrow();
  });

  it("refuses an unknown parameter, listing the known ones", () => {
    expect(line(() => validateParameterValues(base(), { ErlangVersoin: "27.1" }, shown))).toContain(
      "unknown parameter 'ErlangVersoin' (fix: use one of: ErlangVersion)",
    );
  });
});

describe("cfn-lint output", () => {
  it("parses the parseable format into file:line: rule: message, relative to the root", () => {
    const findings = parseCfnLintOutput(
      "/abs/stacks/ci/stack.yaml:15:7:15:17:E3031:'X' does not match '^a$'\n/abs/x.yaml:3:1:3:2:W2001:unused\nnoise\n",
      "/abs",
    );
    expect(findings.map(formatFinding)).toEqual([
      "stacks/ci/stack.yaml:15: E3031: 'X' does not match '^a$'",
      "x.yaml:3: W2001: unused",
    ]);
    expect(findings.map((f) => f.level)).toEqual(["error", "warning"]);
  });
});
