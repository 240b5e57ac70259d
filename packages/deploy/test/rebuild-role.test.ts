/**
 * The image-rebuild role and the in-use scan agree: every stack name the scan asks CloudFormation
 * for (core's projectStackNames: <project>-<stack> and <project>-<env>-<stack> in each environment of
 * the profile) is one the role's InUseCheck statement may describe, whether the rebuild stack is
 * deployed in the default environment or in a named one. The role's resource is evaluated as
 * CloudFormation would, with the parameters `prepare` (deploy's first step) gives the committed
 * template. Before ProjectName, a rebuild in environment dev could describe `demo-dev-*` only, and
 * every push there failed closed on demo-ci.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectStackNames, stackNameIn } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { prepare } from "../src/prepare.ts";
import { captureContext } from "./helpers.ts";

const REPO = join(import.meta.dirname, "../../..");
const root = mkdtempSync(join(tmpdir(), "prebake-rebuild-role-"));
mkdirSync(join(root, "stacks", "image-rebuild"), { recursive: true });
copyFileSync(join(REPO, "stacks/image-rebuild/stack.yaml"), join(root, "stacks/image-rebuild/stack.yaml"));
mkdirSync(join(root, "stacks", "ci"), { recursive: true });
writeFileSync(join(root, "stacks/ci/stack.yaml"), "Resources: {}\n");
writeFileSync(
  join(root, "prebake.config.yaml"),
  "project: demo\nenvironments:\n  dev: { profile: local }\n  qa: { profile: local }\n",
);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** The value of a template expression, as CloudFormation computes it (the intrinsics this statement can use). */
function evaluate(value: unknown, vars: Record<string, string>): string | string[] {
  if (typeof value === "string") return value;
  const [[fn, arg]] = Object.entries(value as Record<string, unknown>) as [[string, unknown]];
  if (fn === "Ref") return vars[arg as string] ?? `(unknown ${String(arg)})`;
  if (fn === "Fn::Split") {
    const [sep, of] = arg as [string, unknown];
    return String(evaluate(of, vars)).split(sep);
  }
  if (fn === "Fn::Select") {
    const [i, of] = arg as [number, unknown];
    return (evaluate(of, vars) as string[])[i]!;
  }
  if (fn === "Fn::Sub") {
    const [text, own] = typeof arg === "string" ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    const local = Object.fromEntries(Object.entries(own).map(([k, v]) => [k, String(evaluate(v, vars))]));
    return text.replace(/\$\{([^}]+)\}/g, (_, k: string) => local[k] ?? vars[k] ?? `(unknown ${k})`);
  }
  throw new Error(`evaluate: ${fn} is not handled`);
}

/** An IAM resource pattern (`*` any run of characters) as a regular expression. */
const arnPattern = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

describe("the image-rebuild role may describe every stack the in-use scan asks for", () => {
  for (const environment of [undefined, "dev"]) {
    it(`rebuild stack in ${environment ?? "the default environment"}`, async () => {
      const { ctx } = captureContext(root, environment);
      const prepared = await prepare(ctx, "image-rebuild", { lint: false });
      const vars: Record<string, string> = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": stackNameIn(ctx.config, "image-rebuild"),
        ...Object.fromEntries(prepared.parameters.map((p) => [p.key, p.value])),
      };
      const role = prepared.template.Resources.RebuildRole!.Properties!.Policies as {
        PolicyDocument: { Statement: { Sid?: string; Resource: unknown }[] };
      }[];
      const inUse = role.flatMap((p) => p.PolicyDocument.Statement).find((s) => s.Sid === "InUseCheck")!;
      const allowed = arnPattern(String(evaluate(inUse.Resource, vars)));
      const asked = projectStackNames(ctx.config);
      expect(asked).toContain("demo-ci");
      expect(asked).toContain("demo-qa-image-rebuild");
      for (const name of asked) {
        const arn = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0d6a1e80-0000-11ef-0000-0a1b2c3d4e5f`;
        expect(arn, `${vars["AWS::StackName"]} may describe ${name}`).toMatch(allowed);
      }
      // Another project's stacks stay out of reach.
      expect(`arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/other-ci/1`).not.toMatch(allowed);
    });
  }
});
