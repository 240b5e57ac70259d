import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  waitUntilStackCreateComplete,
} from "@aws-sdk/client-cloudformation";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { RefusedError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadImageDefinition } from "../src/definition.ts";
import { describeRepositoryImages, readDeployedState, referencesTo } from "../src/lifecycle/index.ts";
import { pushImageVersion } from "../src/release.ts";
import {
  cleanup,
  declareStack,
  makeRoot,
  suffix,
  type TestRoot,
  testContext,
  writeTinyImage,
} from "./fixtures.ts";

// The in-use scan against moto: stacks that use an image by tag, through an SSM-typed parameter,
// and by a URI written in the template body. Real engine, registry and moto; unique names.
const id = suffix();
const NAME = `inuse-${id}`;
const REPO = `prebake-test/inuse-${id}`;
const SSM_NAME = `/prebake-test/${id}/image`;
// The project's stacks (project prebake, folders test-<id>-*): the scan asks for them by name, in
// the implicit environment and in the dev environment (where the by-tag stack is deployed).
const STACKS = {
  ssmSource: `prebake-test-${id}-ssm-source`,
  bySsm: `prebake-test-${id}-by-ssm`,
  byTag: `prebake-dev-test-${id}-by-tag`,
  inBody: `prebake-test-${id}-in-body`,
};
const t: TestRoot = makeRoot();
for (const folder of ["ssm-source", "by-ssm", "by-tag", "in-body"]) declareStack(t, `test-${id}-${folder}`);
writeFileSync(join(t.root, "prebake.config.yaml"), "environments:\n  dev: { profile: local }\n");
const { ctx } = testContext(t.root);
const cfn = ctx.aws(CloudFormationClient);
const registry = ctx.config.profile.registry!;
const def = () => loadImageDefinition(join(t.root, "images"), NAME);

/** An SSM::Parameter resource holding `value` (moto needs the Name), so every stack has a resource. */
const paramResource = (name: string, value: unknown) => ({
  Type: "AWS::SSM::Parameter",
  Properties: { Name: name, Type: "String", Value: value },
});

async function createStack(
  name: string,
  template: object,
  parameters: { ParameterKey: string; ParameterValue: string }[] = [],
) {
  await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: JSON.stringify(template),
      Parameters: parameters,
    }),
  );
  await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120 }, { StackName: name });
}

let first: Awaited<ReturnType<typeof pushImageVersion>>;
let second: Awaited<ReturnType<typeof pushImageVersion>>;

beforeAll(async () => {
  writeTinyImage(t, NAME, { repository: REPO, keepPerVersion: 3 });
  first = await pushImageVersion(ctx, def(), "1.0");
  writeFileSync(join(t.root, "images", NAME, "hello.txt"), "second\n");
  second = await pushImageVersion(ctx, def(), "1.0");

  // By tag: the first image's immutable tag in a plain parameter.
  await createStack(
    STACKS.byTag,
    {
      Parameters: { Image: { Type: "String" } },
      Resources: { P: paramResource(`/prebake-test/${id}/by-tag`, { Ref: "Image" }) },
    },
    [{ ParameterKey: "Image", ParameterValue: `${registry}/${REPO}:${first.tags[0]}` }],
  );
  // Through SSM: one stack writes the second image's uri to an SSM parameter, another takes it as
  // an SSM-typed parameter (AWS reports it as ResolvedValue; moto resolves it into the value).
  await createStack(STACKS.ssmSource, { Resources: { P: paramResource(SSM_NAME, second.uri) } });
  await createStack(STACKS.bySsm, {
    Parameters: { Image: { Type: "AWS::SSM::Parameter::Value<String>", Default: SSM_NAME } },
    Resources: { P: paramResource(`/prebake-test/${id}/by-ssm`, { Ref: "Image" }) },
  });
  // In the template body: the moving tag 1.0 written as a literal URI.
  await createStack(STACKS.inBody, {
    Resources: { P: paramResource(`/prebake-test/${id}/in-body`, `${registry}/${REPO}:1.0`) },
  });
});

afterAll(async () => {
  for (const stack of Object.values(STACKS)) {
    await cfn.send(new DeleteStackCommand({ StackName: stack })).catch(() => undefined);
  }
  await cleanup(t, ctx);
});

describe("the in-use scan against deployed stacks", () => {
  // One story, so the shuffled order cannot split it: the scan first finds every kind of reference,
  // then the push is refused once only the by-tag stack keeps using the older image.
  it("finds the tag reference, the SSM parameter's value and the URI in a template body; a push whose policy would expire the tag-referenced image is refused (exit 9), nothing pushed", async () => {
    const images = await describeRepositoryImages(ctx, REPO);
    const refs = referencesTo(await readDeployedState(ctx), REPO, images);
    expect(refs.get(first.digest!)).toEqual([
      { stack: STACKS.byTag, where: "parameter Image", via: `by tag ${first.tags[0]}` },
    ]);
    const secondUsers = refs.get(second.digest!) ?? [];
    // the SSM source stack writes the uri in its own template body too
    expect(secondUsers).toContainEqual({ stack: STACKS.ssmSource, where: "template body", via: "by digest" });
    expect(secondUsers.filter((u) => u.stack === STACKS.bySsm).map((u) => u.via)).toContain("by digest");
    expect(secondUsers).toContainEqual({ stack: STACKS.inBody, where: "template body", via: "by tag 1.0" });

    // Only the by-tag stack keeps using an older image (the in-body one follows the moving tag 1.0).
    for (const stack of [STACKS.bySsm, STACKS.ssmSource]) {
      await cfn.send(new DeleteStackCommand({ StackName: stack }));
    }
    // keep 1 per line: a third image would expire both older ones, the first of which a stack uses by tag.
    writeTinyImage(t, NAME, { repository: REPO, keepPerVersion: 1, files: { "hello.txt": "third\n" } });
    const err = await pushImageVersion(ctx, def(), "1.0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(9);
    expect((err as RefusedError).message).toContain(first.digest!);
    expect((err as RefusedError).message).toContain(
      `${STACKS.byTag} (parameter Image, by tag ${first.tags[0]})`,
    );
    const left = await ctx.aws(ECRClient).send(new DescribeImagesCommand({ repositoryName: REPO }));
    expect(left.imageDetails?.map((i) => i.imageDigest).sort()).toEqual([first.digest, second.digest].sort());
  });
});
