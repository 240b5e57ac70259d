/**
 * The lifecycle module: ECR lifecycle policies (what a definition asks for), their evaluation
 * (both readings of ECR's rules, and the conservative union the safety checks use), the in-use
 * scan of deployed stacks, the comparison with ECR's preview, and the safety check a push runs.
 */
export {
  evaluateLifecyclePolicy,
  type ImageLoss,
  lossesClaimedCounted,
  lossesClaimedNotCounted,
  type RepositoryImage,
} from "./evaluate.ts";
export {
  assertNothingInUseLost,
  type DeployedState,
  readDeployedState,
  referencesTo,
} from "./in-use.ts";
export {
  type LifecyclePolicy,
  type LifecycleRule,
  lifecyclePolicyFor,
  parsePolicyText,
  policyText,
} from "./policy.ts";
export { comparePreview, ecrLifecyclePreview, judgePreview, type PreviewComparison } from "./preview.ts";
export {
  type DeployedStack,
  findImageReferences,
  type InUseReference,
  inUseReferences,
} from "./references.ts";
export {
  currentPolicyText,
  describeRepositoryImages,
  INCOMING_DIGEST,
  type IncomingImage,
  withIncoming,
} from "./repository-state.ts";
export { assertPolicySafe, type PolicySafetyInput } from "./safety.ts";
