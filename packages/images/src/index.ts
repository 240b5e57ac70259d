/**
 * @prebake/images: image definitions, build and push, ECR repositories and their lifecycle, and
 * the one reader of dist/images (resolvePushedImage). Internals stay behind these names.
 */
export { registerImageCommands } from "./cli.ts";
export {
  defaultVersionFor,
  type ImageDefinition,
  imageDefinitionExists,
  imageDefinitionJsonSchema,
  imagesDir,
  listImageNames,
  loadImageDefinition,
  resolveVersion,
} from "./definition.ts";
export { shortDigest } from "./digest.ts";
export {
  evaluateLifecyclePolicy,
  type ImageLoss,
  type LifecyclePolicy,
  lifecyclePolicyFor,
  type RepositoryImage,
} from "./lifecycle/index.ts";
export { buildImageVersion, type ImageOptions, type ImageResult, pushImageVersion } from "./release.ts";
export {
  deployableImageProblem,
  type NewestPushedImage,
  newestPushedImage,
  type PushedImage,
  parsePinnedUri,
  pullPushedImage,
  resolvePushedImage,
} from "./resolve.ts";
