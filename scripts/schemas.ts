/**
 * The JSON Schemas editors read, written from the zod schemas that prebake itself validates with:
 * each schema comes from the package that owns its file (core: prebake.config.yaml, images:
 * image.yaml, layers: layer.yaml, codebuild: app.yaml). `npm run schemas` rewrites schemas/; `--check` only says which
 * are stale (the unit tests check the same).
 *
 *   node scripts/schemas.ts [--check]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appDefinitionJsonSchema } from "@prebake/codebuild";
import { configJsonSchema, SCHEMAS_DIR, writeFileAtomic } from "@prebake/core";
import { imageDefinitionJsonSchema } from "@prebake/images";
import { layerDefinitionJsonSchema } from "@prebake/layers";

const ROOT = join(import.meta.dirname, "..");

/** Each schema file under schemas/ and the owner's function that makes it. */
export const EDITOR_SCHEMAS: { file: string; schema: () => Record<string, unknown> }[] = [
  { file: "prebake.config.schema.json", schema: configJsonSchema },
  { file: "image.schema.json", schema: imageDefinitionJsonSchema },
  { file: "layer.schema.json", schema: layerDefinitionJsonSchema },
  { file: "app.schema.json", schema: appDefinitionJsonSchema },
];

/** A schema file's text as committed: two-space JSON with a final newline. */
export const schemaText = (schema: Record<string, unknown>) => `${JSON.stringify(schema, null, 2)}\n`;

export const schemaPath = (file: string, root = ROOT) => join(root, SCHEMAS_DIR, file);

/** The schema files whose committed text differs from what the owners generate now. */
export function staleSchemas(root = ROOT): string[] {
  return EDITOR_SCHEMAS.filter(({ file, schema }) => {
    let committed: string | undefined;
    try {
      committed = readFileSync(schemaPath(file, root), "utf8");
    } catch {
      committed = undefined;
    }
    return committed !== schemaText(schema());
  }).map(({ file }) => `${SCHEMAS_DIR}/${file}`);
}

if (import.meta.main) {
  if (process.argv.includes("--check")) {
    const stale = staleSchemas();
    if (stale.length) {
      console.error(`prebake: error: ${stale.join(", ")}: out of date (fix: npm run schemas)`);
      process.exit(4);
    }
    console.log(`${EDITOR_SCHEMAS.length} schemas up to date`);
  } else {
    for (const { file, schema } of EDITOR_SCHEMAS) {
      await writeFileAtomic(schemaPath(file), schemaText(schema()));
      console.log(`wrote ${SCHEMAS_DIR}/${file}`);
    }
  }
}
