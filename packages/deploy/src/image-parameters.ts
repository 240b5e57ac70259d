/**
 * Image parameters: Metadata.Prebake.ImageParameters maps a template parameter to an image
 * project (CodeBuildImage: erlang-otp). When that image's default version has been pushed, the
 * pushed image's digest-pinned uri becomes the value, so the stack changes exactly when the
 * image does. @prebake/images' resolvePushedImage confirms it in the registry first and refuses
 * (exit 9) a stale record, before any change set exists. When the image was never pushed from
 * this checkout, the parameter keeps its other sources (config, default).
 */
import { ConfigError, type Context, RefusedError } from "@prebake/core";
import { imageDefinitionExists, resolvePushedImage } from "@prebake/images";
import type { Template as ParsedTemplate } from "@prebake/stack";
import { stackParameters } from "@prebake/stack/deployed";
import type { StackApi } from "./cfn-api.ts";
import type { ParameterSource } from "./parameters.ts";

export interface ImageParameterValue {
  parameter: string;
  /** The image project (images/<image>). */
  image: string;
  uri: string;
  /** Where the value came from, for messages: `dist/images/<image>-<version>.json: uri`, a stack. */
  source: string;
}

/** The parameter -> image mapping a rendered template declares (Metadata.Prebake.ImageParameters). */
export const imageParameterMapping = (template: ParsedTemplate): Record<string, string> =>
  template.Metadata?.Prebake?.ImageParameters ?? {};

export async function imageParameterValues(
  ctx: Context,
  template: ParsedTemplate,
  templateWhere: string,
): Promise<ImageParameterValue[]> {
  const mapping = Object.entries(imageParameterMapping(template));
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
      return { parameter, image, uri: pushed.uri, source: `${pushed.manifestFile}: uri` };
    }),
  );
  return resolved.filter((v): v is ImageParameterValue => v !== undefined);
}

export function imageParameterSource(values: ImageParameterValue[]): ParameterSource {
  const byKey = new Map(values.map((v) => [v.parameter, v]));
  return {
    label: (key) => byKey.get(key)?.source ?? "dist/images",
    values: Object.fromEntries(values.map((v) => [v.parameter, v.uri])),
  };
}

/**
 * A protected environment's images arrive only through `prebake promote`: a deploy there keeps the
 * values its stack runs (a template or parameter change never swaps the tested images for this
 * checkout's newest push). A stack that does not run them yet is refused (exit 9) before any change.
 */
export async function keptImageValues(
  api: Pick<StackApi, "describeStack">,
  template: ParsedTemplate,
  stackName: string,
  environment: string,
): Promise<ImageParameterValue[]> {
  const mapping = Object.entries(imageParameterMapping(template));
  if (mapping.length === 0) return [];
  const stack = await api.describeStack(stackName);
  const deployed = stackParameters(stack);
  return mapping.map(([parameter, image]) => {
    const uri = deployed[parameter];
    if (!uri) {
      throw new RefusedError(
        `images reach protected environment '${environment}' only by promotion, and the stack does not run ${parameter} yet`,
        {
          where: `stack ${stackName}`,
          fix: `promote a tested environment's images: prebake promote <env> ${environment}`,
        },
      );
    }
    return {
      parameter,
      image,
      uri,
      source: `deployed stack ${stackName} (protected environment ${environment})`,
    };
  });
}
