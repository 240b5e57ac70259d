import { z } from "zod";

/** Where the generated schemas live in the repository (`npm run schemas` writes them). */
export const SCHEMAS_DIR = "schemas";

export interface EditorSchemaMeta {
  /** The file it describes, e.g. "prebake.config.yaml" (the schema's title). */
  title: string;
  /** One sentence for the editor's hover, with where the fields are documented. */
  description: string;
}

/**
 * A definition file's zod schema as the JSON Schema an editor reads (yaml-language-server,
 * through a `# yaml-language-server: $schema=...` line): the input side, since a file holds what
 * the user writes, before defaults and transforms. Draft-07, the draft every YAML editor
 * understands. Checks zod runs in code (refinements: a default version that must be one of the
 * versions, BASE_IMAGE not a build arg) have no JSON Schema form and are left to prebake itself.
 */
export function editorJsonSchema(schema: z.ZodType, meta: EditorSchemaMeta): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" });
  const { $schema, ...rest } = json;
  return { $schema, title: meta.title, description: meta.description, ...rest };
}
