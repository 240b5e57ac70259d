/**
 * Image parameters: Metadata.Prebake.ImageParameters maps a template parameter to an image
 * project (CodeBuildImage: erlang-otp). When that image's default version has been pushed,
 * its manifest's digest-pinned uri becomes the value, so the stack changes exactly when the
 * image does. When it has not, the parameter keeps its other sources (config, default).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError, distPaths } from "@prebake/core";
import { defaultVersionFor, imagesDir, loadImageDefinition } from "@prebake/images";
import type { ParameterSource } from "./parameters.ts";
import type { ParsedTemplate } from "./template.ts";

export interface ImageParameterValue {
  parameter: string;
  image: string;
  version: string;
  uri: string;
  manifest: string;
}

/** The image's default version for the profile, or undefined when there is no such image folder. */
function defaultVersionOf(rootDir: string, image: string, profileKind: "local" | "aws"): string | undefined {
  if (!existsSync(join(imagesDir(rootDir), image, "image.yaml"))) return undefined;
  return defaultVersionFor(loadImageDefinition(imagesDir(rootDir), image), profileKind);
}

export function imageParameterValues(
  rootDir: string,
  template: ParsedTemplate,
  templateWhere: string,
  profileKind: "local" | "aws",
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
    const version = defaultVersionOf(rootDir, image, profileKind);
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
