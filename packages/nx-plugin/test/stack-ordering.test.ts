import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { StackOrderings } from "../src/stack-ordering.ts";

const template = (prebake: string) =>
  `Metadata:\n  Prebake:\n${prebake}\nResources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties: { Type: String, Value: !Ref B }\n`;

function workspace(stacks: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "prebake-order-"));
  for (const [name, yaml] of Object.entries(stacks)) {
    mkdirSync(join(root, "stacks", name), { recursive: true });
    writeFileSync(join(root, "stacks", name, "stack.yaml"), yaml);
  }
  return { root, cacheFile: join(root, ".nx", "workspace-data", "order.json") };
}

describe("stack ordering", () => {
  it("reads Metadata.Prebake (short tags and all) and remembers it by the template's content", async () => {
    const ws = workspace({ ci: template("    Images: [erlang-otp]\n    After: [image-rebuild]") });
    const first = new StackOrderings(ws.root, ws.cacheFile);
    expect(await first.of("ci")).toEqual({ images: ["erlang-otp"], after: ["image-rebuild"] });
    first.save();
    // Kept by the template's sha256 in the file a second run reads.
    expect(JSON.parse(readFileSync(ws.cacheFile, "utf8")).entries).toEqual({
      [createHash("sha256")
        .update(readFileSync(join(ws.root, "stacks/ci/stack.yaml")))
        .digest("hex")]: {
        images: ["erlang-otp"],
        after: ["image-rebuild"],
      },
    });
    const again = new StackOrderings(ws.root, ws.cacheFile);
    expect(await again.of("ci")).toEqual({ images: ["erlang-otp"], after: ["image-rebuild"] });
    // A changed template is read again.
    writeFileSync(join(ws.root, "stacks/ci/stack.yaml"), template("    After: [other]"));
    expect(await again.of("ci")).toEqual({ images: [], after: ["other"] });
  });

  it("a stack that is not rendered yet has no order", async () => {
    const ws = workspace({});
    expect(await new StackOrderings(ws.root, ws.cacheFile).of("new")).toBeUndefined();
  });

  it("a malformed Metadata.Prebake is the reader's error naming the file and field, and is not remembered", async () => {
    const ws = workspace({ ci: template("    Images: erlang-otp") });
    const orderings = new StackOrderings(ws.root, ws.cacheFile);
    const err = await orderings.of("ci").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).toLine()).toContain("stacks/ci/stack.yaml: Metadata.Prebake.Images");
    orderings.save();
    await expect(new StackOrderings(ws.root, ws.cacheFile).of("ci")).rejects.toThrow(ConfigError);
  });
});
