import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EDITOR_SCHEMAS, schemaPath, schemaText, staleSchemas } from "../schemas.ts";

const ROOT = join(import.meta.dirname, "../..");

describe("schemas/: the JSON Schemas editors read, generated from the zod schemas", () => {
  it("the committed schemas are what the owners' zod schemas give now (else: npm run schemas)", () => {
    expect(staleSchemas()).toEqual([]);
  });

  it("a schema edited by hand, or missing, is stale", () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-schemas-"));
    try {
      cpSync(join(ROOT, "schemas"), join(root, "schemas"), { recursive: true });
      expect(staleSchemas(root)).toEqual([]);
      const [first, second] = EDITOR_SCHEMAS;
      writeFileSync(schemaPath(first!.file, root), schemaText({ ...first!.schema(), title: "edited" }));
      rmSync(schemaPath(second!.file, root));
      expect(staleSchemas(root)).toEqual([`schemas/${first!.file}`, `schemas/${second!.file}`]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("each schema is draft-07 for its file, strict where the zod schema is, with the defaults a user reads", () => {
    // Read as plain JSON, the way an editor reads the file.
    const byFile = JSON.parse(
      JSON.stringify(Object.fromEntries(EDITOR_SCHEMAS.map((s) => [s.file, s.schema()]))),
    );
    const config = byFile["prebake.config.schema.json"]!;
    expect(config.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(config.title).toBe("prebake.config.yaml");
    expect(config.additionalProperties).toBe(false);
    expect(config.properties.report.properties.targets.properties.successRate).toMatchObject({
      default: 0.99,
      maximum: 1,
    });
    const image = byFile["image.schema.json"]!;
    expect(image.title).toBe("image.yaml");
    // The input side: defaultVersion is written as "27" or 27 or { local, aws }, before the transform.
    expect(image.properties.defaultVersion.anyOf).toHaveLength(2);
    const layer = byFile["layer.schema.json"]!;
    expect(layer.properties.architectures).toMatchObject({ default: ["x86_64"] });
    const app = byFile["app.schema.json"]!;
    expect(app.additionalProperties).toBe(false);
    expect(app.properties.image).toMatchObject({ default: "erlang-otp" });
  });
});
