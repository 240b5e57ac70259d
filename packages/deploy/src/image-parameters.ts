/**
 * Image parameters: Metadata.Prebake.ImageParameters maps a template parameter to an image
 * project (CodeBuildImage: erlang-otp). When that image's default version has been pushed, the
 * pushed image's digest-pinned uri becomes the value, so the stack changes exactly when the
 * image does. @prebake/images' resolvePushedImage confirms it in the registry first and refuses
 * (exit 9) a stale record, before any change set exists. When the image was never pushed from
 * this checkout, the parameter keeps its other sources (config, default).
 */
import { ConfigError, type Context } from "@prebake/core";
import { imageDefinitionExists, resolvePushedImage } from "@prebake/images";
import type { Template as ParsedTemplate } from "@prebake/stack";
import type { ParameterSource } from "./parameters.ts";

export interface ImageParameterValue {
  parameter: string;
  image: string;
  version: string;
  uri: string;
  manifest: string;
}

export async function imageParameterValues(
  ctx: Context,
  template: ParsedTemplate,
  templateWhere: string,
): Promise<ImageParameterValue[]> {
  const mapping = Object.entries(template.Metadata?.Prebake?.ImageParameters ?? {});
  for (const [parameter] of mapping) {
    if (!template.Parameters || !(parameter in template.Parameters)) {
      throw new ConfigError(
        `Metadata.Prebake.ImageParameters names '${parameter}', which is not a parameter`,
        {
          where: `${templateWhere}: Metadata.Prebake.ImageParameters.${parameter}`,
          fix: "declare the parameter in stack.ts, or remove it from ImageParameters, and render again",
        },
      );
    }
  }
  // Each image is confirmed with the registry and ECR: a few round trips, so all at once.
  const resolved = await Promise.all(
    mapping.map(async ([parameter, image]) => {
      if (!imageDefinitionExists(ctx.config.rootDir, image)) return undefined;
      const pushed = await resolvePushedImage(ctx, image);
      if (!pushed) return undefined;
      return { parameter, image, version: pushed.version, uri: pushed.uri, manifest: pushed.manifestFile };
    }),
  );
  return resolved.filter((v): v is ImageParameterValue => v !== undefined);
}

export function imageParameterSource(values: ImageParameterValue[]): ParameterSource {
  const byKey = new Map(values.map((v) => [v.parameter, v]));
  return {
    label: (key) => `${byKey.get(key)?.manifest ?? "dist/images"}: uri`,
    values: Object.fromEntries(values.map((v) => [v.parameter, v.uri])),
  };
}
