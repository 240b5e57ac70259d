import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigErrorLine,
  defineTemplate,
  emitYaml,
  FindInMap,
  If,
  Ref,
  readTemplate,
  resource,
  type Template,
  TemplateBuilder,
  tempDir,
  templateMetadata,
  validateParameterValues,
  validatePrebakeMetadata,
  validateTemplate,
} from "./helpers.ts";

const root = join(import.meta.dirname, "../../..");
const tmp = () => tempDir("prebake-read-");

describe("readTemplate / templateMetadata (what deploy reads)", () => {
  it("reads the committed ci template and its Metadata.Prebake", () => {
    const ci = readTemplate(join(root, "stacks/ci/stack.yaml"));
    expect(ci.Resources.HelloErlangAppProject?.Type).toBe("AWS::CodeBuild::Project");
    expect(templateMetadata(ci)).toEqual({
      Images: ["erlang-otp", "python-layer"],
      After: ["image-rebuild"],
      ImageParameters: { CodeBuildImage: "erlang-otp", LayerBuildImage: "python-layer" },
    });
    const rebuild = readTemplate(join(root, "stacks/image-rebuild/stack.yaml"));
    expect(templateMetadata(rebuild)).toEqual({
      Images: [],
      After: [],
      ImageParameters: {},
      ProjectParameter: "ProjectName",
    });
  });

  it("defaults to empty metadata and refuses a malformed block with its field", () => {
    expect(templateMetadata({ Resources: {} })).toEqual({ Images: [], After: [], ImageParameters: {} });
    const bad = { Resources: {}, Metadata: { Prebake: { Images: "erlang-otp" } } } as unknown as Template;
    expect(ConfigErrorLine(() => templateMetadata(bad, "stacks/ci/stack.yaml"))).toMatch(
      /^stacks\/ci\/stack\.yaml: Metadata\.Prebake\.Images: must be a list of image names \(fix: /,
    );
  });

  it("a missing file, a YAML error (with its line) and a non-template are one ConfigError line each", () => {
    const dir = tmp();
    expect(ConfigErrorLine(() => readTemplate(join(dir, "nope.yaml")))).toContain(
      "nope.yaml: does not exist",
    );
    writeFileSync(join(dir, "broken.yaml"), "Resources:\n  A: [\n");
    expect(ConfigErrorLine(() => readTemplate(join(dir, "broken.yaml")))).toMatch(
      /broken\.yaml:\d+: is not valid YAML: .+\(fix: /,
    );
    writeFileSync(join(dir, "list.yaml"), "- a\n");
    expect(ConfigErrorLine(() => readTemplate(join(dir, "list.yaml")))).toContain(
      "is not a CloudFormation template",
    );
  });
});

describe("Metadata.Prebake validation at render time", () => {
  const template = (meta: unknown): Template =>
    defineTemplate({
      Metadata: { Prebake: meta as never },
      Parameters: { CodeBuildImage: { Type: "String" } },
      Resources: { P: resource("AWS::SSM::Parameter", { Type: "String", Value: Ref("CodeBuildImage") }) },
    });
  const known = {
    images: (n: string) => n === "erlang-otp",
    stacks: (n: string) => n === "base",
    self: "ci",
  };
  const check = (meta: unknown) => ConfigErrorLine(() => validatePrebakeMetadata(template(meta), "w", known));

  it("accepts a consistent block", () => {
    expect(() =>
      validatePrebakeMetadata(
        template({
          Images: ["erlang-otp"],
          After: ["base"],
          ImageParameters: { CodeBuildImage: "erlang-otp" },
        }),
        "w",
        known,
      ),
    ).not.toThrow();
  });

  it("names an unknown image, an unknown or self After, and an image parameter that does not line up", () => {
    expect(check({ Images: ["erlang"] })).toContain("w: Metadata.Prebake.Images: no image named 'erlang'");
    expect(check({ After: ["nope"] })).toContain("Metadata.Prebake.After: no stack named 'nope'");
    expect(check({ After: ["ci"] })).toContain("a stack cannot come after itself");
    expect(check({ Images: ["erlang-otp"], ImageParameters: { Image: "erlang-otp" } })).toContain(
      "Metadata.Prebake.ImageParameters.Image: 'Image' is not a parameter of this template",
    );
    expect(check({ Images: [], ImageParameters: { CodeBuildImage: "erlang-otp" } })).toContain(
      "image 'erlang-otp' is not listed in Images",
    );
  });

  it("ProjectParameter names a declared parameter (deploy fills it with the project)", () => {
    expect(check({ ProjectParameter: "Project" })).toContain(
      "Metadata.Prebake.ProjectParameter: 'Project' is not a parameter of this template",
    );
    expect(check({ ProjectParameter: 7 })).toContain(
      "Metadata.Prebake.ProjectParameter: must be a parameter name",
    );
    expect(() =>
      validatePrebakeMetadata(template({ ProjectParameter: "CodeBuildImage" }), "w", known),
    ).not.toThrow();
  });
});

describe("validation of mappings, outputs and parameter values", () => {
  it("names a !FindInMap of an undefined mapping and an output with an undefined condition", () => {
    const t = defineTemplate({
      Resources: {
        P: resource("AWS::SSM::Parameter", {
          Type: "String",
          Value: FindInMap("Amis", Ref("AWS::Region"), "Id"),
        }),
      },
    });
    expect(ConfigErrorLine(() => validateTemplate(t, "s.ts"))).toContain(
      "s.ts: Resources.P.Properties.Value: !FindInMap names mapping 'Amis', which is not defined",
    );
    t.Mappings = { Amis: { "us-east-1": { Id: "ami-1" } } };
    expect(() => validateTemplate(t, "s.ts")).not.toThrow();
    t.Outputs = { O: { Value: Ref("P"), Condition: "IsProd" } };
    expect(ConfigErrorLine(() => validateTemplate(t, "s.ts"))).toContain(
      "s.ts: Outputs.O.Condition: condition 'IsProd' is not defined",
    );
  });

  it("takes the config field as a string prefix too (the form deploy uses)", () => {
    const ci = readTemplate(join(root, "stacks/ci/stack.yaml"));
    expect(
      ConfigErrorLine(() =>
        validateParameterValues(
          ci,
          { ErlangVersion: "27.1; rm -rf /" },
          "prebake.config.yaml: stacks.ci.parameters",
        ),
      ),
    ).toMatch(
      /^prebake\.config\.yaml: stacks\.ci\.parameters\.ErlangVersion: '27\.1; rm -rf \/' does not match the pattern .+ \(fix: an Erlang\/OTP version such as 27\.1 or 26\.2\.5\)$/,
    );
    expect(() =>
      validateParameterValues(ci, { ErlangVersion: "27.2", LogRetentionDays: "14" }, "prebake.config.yaml"),
    ).not.toThrow();
    expect(ConfigErrorLine(() => validateParameterValues(ci, { LogRetentionDays: "10" }, "c"))).toContain(
      "c.LogRetentionDays: '10' is not an allowed value",
    );
  });
});

describe("TemplateBuilder", () => {
  it("builds the same template as the object literal, with references from its declarations", () => {
    const b = new TemplateBuilder("demo");
    const name = b.parameter("Name", { Type: "String", Default: "x" });
    const isProd = b.condition("IsProd", { "Fn::Equals": [Ref("Name"), "prod"] });
    b.mapping("Sizes", { prod: { Size: "L" } });
    const p = b.resource("Param", "AWS::SSM::Parameter", { Type: "String", Value: If(isProd, name, "dev") });
    b.prebake({ Images: [], After: [], ImageParameters: {} });
    b.output("ParamName", p.ref, { Description: "the parameter" });
    const built = b.build();
    expect(built).toEqual({
      AWSTemplateFormatVersion: "2010-09-09",
      Description: "demo",
      Metadata: { Prebake: { Images: [], After: [], ImageParameters: {} } },
      Parameters: { Name: { Type: "String", Default: "x" } },
      Conditions: { IsProd: { "Fn::Equals": [{ Ref: "Name" }, "prod"] } },
      Mappings: { Sizes: { prod: { Size: "L" } } },
      Resources: {
        Param: {
          Type: "AWS::SSM::Parameter",
          Properties: { Type: "String", Value: { "Fn::If": ["IsProd", { Ref: "Name" }, "dev"] } },
        },
      },
      Outputs: { ParamName: { Description: "the parameter", Value: { Ref: "Param" } } },
    });
    expect(() => validateTemplate(built, "demo")).not.toThrow();
    expect(emitYaml(built)).toContain("Value: !If\n        - IsProd\n        - !Ref Name\n        - dev");
    expect(p.getAtt("Value")).toEqual({ "Fn::GetAtt": ["Param", "Value"] });
  });

  it("refuses a logical ID declared twice or one that is not alphanumeric", () => {
    const b = new TemplateBuilder();
    b.parameter("Name", { Type: "String" });
    expect(() => b.resource("Name", "AWS::SSM::Parameter", { Type: "String", Value: "x" })).toThrow(
      "logical ID 'Name' is declared twice (Parameters and Resources)",
    );
    expect(() => b.parameter("my-name", { Type: "String" })).toThrow("must be alphanumeric");
  });
});
