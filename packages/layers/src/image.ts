import { ConfigError, type Context, firstLine } from "@prebake/core";
import {
  buildImageVersion,
  imagesDir,
  loadImageDefinition,
  pullPushedImage,
  resolvePushedImage,
} from "@prebake/images";

/** The python-layer image project (images/python-layer, built and pushed by @prebake/images). */
export const LAYER_IMAGE_NAME = "python-layer";

/**
 * The python-layer lines the local profile can build: Debian packages one Python 3 per release,
 * bookworm 3.11 (the default base) and trixie 3.13 (base built on demand: scripts/local-env.sh base
 * trixie). The first one is the builder: pip installs for any target version with --python-version.
 */
export const LOCAL_IMAGE_VERSIONS = ["3.11", "3.13"];

/**
 * The pushed python-layer image for a Python version, confirmed in the registry by
 * resolvePushedImage (a stale record is refused, exit 9), pulled with the registry's credentials
 * when the engine lacks it (pullPushedImage; the aws profile's ecrRegistry mapping applied).
 * Undefined when this checkout never pushed that line, or the pull failed (warned).
 */
async function pushedLayerImage(ctx: Context, version: string): Promise<string | undefined> {
  const pushed = await resolvePushedImage(ctx, LAYER_IMAGE_NAME, version);
  if (!pushed) return undefined;
  try {
    return await pullPushedImage(ctx, pushed);
  } catch (err) {
    ctx.out.warn(`cannot pull ${pushed.uri} (${firstLine(err)}); building the image locally`);
    return undefined;
  }
}

/**
 * Find the python-layer image for a Python version, in this order: PREBAKE_LAYER_IMAGE_REF (tests,
 * pinned CI), the pushed image (see pushedLayerImage), and otherwise a build of images/python-layer
 * through @prebake/images, the same path as `prebake build-image python-layer --version <v>`
 * (validated definition, content hash; nothing is built when the engine already has that hash), so
 * a fresh checkout can build layers before anyone ran `prebake push python-layer`.
 */
export async function resolveLayerImage(ctx: Context, version: string): Promise<string> {
  const override = process.env.PREBAKE_LAYER_IMAGE_REF;
  if (override) return override;
  const { rootDir, profile } = ctx.config;
  const def = loadImageDefinition(imagesDir(rootDir), LAYER_IMAGE_NAME);
  const pushed = await pushedLayerImage(ctx, version);
  if (pushed) return pushed;
  if (profile.kind === "local" && !LOCAL_IMAGE_VERSIONS.includes(version)) {
    throw new ConfigError(
      `no python-layer image for Python ${version} in the local profile (Debian packages ${LOCAL_IMAGE_VERSIONS.join(" and ")} only)`,
      {
        where: `images/${LAYER_IMAGE_NAME}`,
        fix: `use --profile aws for ${version}, or target ${LOCAL_IMAGE_VERSIONS.join(" or ")} locally`,
      },
    );
  }
  const built = await buildImageVersion(ctx, def, version);
  return built.uri!;
}
