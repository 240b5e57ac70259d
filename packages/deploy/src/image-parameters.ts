/**
 * Image parameters: Metadata.Prebake.ImageParameters maps a template parameter to an image
 * project (CodeBuildImage: erlang-otp). When that image's default version has been pushed,
 * its manifest's digest-pinned uri becomes the value, so the stack changes exactly when the
 * image does. When it has not, the parameter keeps its other sources (config, default).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError, distPaths } from "@prebake/core";
import { parse } from "yaml";
import type { ParameterSource } from "./parameters.ts";
import type { ParsedTemplate } from "./template.ts";

export interface ImageParameterValue {
  parameter: string;
  image: string;
  version: string;
  uri: string;
  manifest: string;
}

/** Only the defaultVersion field of images/<image>/image.yaml; the images package owns the rest. */
function defaultVersionOf(rootDir: string, image: string): string | undefined {
  const file = join(rootDir, "images", image, "image.yaml");
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`not valid YAML: ${(err as Error).message.split("\n")[0]}`, {
      where: relative(rootDir, file),
      fix: "correct the image definition",
    });
  }
  const version = (doc as { defaultVersion?: unknown } | null)?.defaultVersion;
  return version === undefined || version === null ? undefined : String(version);
}

export function imageParameterValues(
  rootDir: string,
  template: ParsedTemplate,
  templateWhere: string,
): ImageParameterValue[] {
  const mapping = template.Metadata?.Prebake?.ImageParameters ?? {};
  const out: ImageParameterValue[] = [];
  for (const [parameter, image] of Object.entries(mapping)) {
    if (!template.Parameters || !(parameter in template.Parameters)) {
      throw new ConfigError(
        `Metadata.Prebake.ImageParameters names '${parameter}', which is not a parameter`,
        {
          where: `${templateWhere}: Metadata.Prebake.ImageParameters.${parameter}`,
          fix: "declare the parameter in stack.ts, or remove it from ImageParameters, and render again",
        },
      );
    }
    const version = defaultVersionOf(rootDir, image);
    if (!version) continue;
    const manifest = distPaths.imageManifest(rootDir, image, version);
    if (!existsSync(manifest)) continue;
    let uri: unknown;
    try {
      uri = (JSON.parse(readFileSync(manifest, "utf8")) as { uri?: unknown }).uri;
    } catch {
      uri = undefined;
    }
    if (typeof uri !== "string" || uri === "") {
      throw new ConfigError("image manifest has no uri", {
        where: relative(rootDir, manifest),
        fix: `push the image again: prebake push ${image}`,
      });
    }
    out.push({ parameter, image, version, uri, manifest: relative(rootDir, manifest) });
  }
  return out;
}

export function imageParameterSource(values: ImageParameterValue[]): ParameterSource {
  const byKey = new Map(values.map((v) => [v.parameter, v]));
  return {
    label: (key) => `${byKey.get(key)?.manifest ?? "dist/images"}: uri`,
    values: Object.fromEntries(values.map((v) => [v.parameter, v.uri])),
  };
}
