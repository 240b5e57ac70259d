/**
 * CodeBuild's compute types: EC2 (BUILD_GENERAL1_*, environment LINUX_CONTAINER) or Lambda
 * (BUILD_LAMBDA_*, environment LINUX_LAMBDA_CONTAINER). Lambda compute starts faster but has no
 * custom build timeout, no on-failure, cache, Docker or root tools: `prebake buildspec validate
 * --compute lambda` checks a buildspec for it, and its custom image must be single-architecture
 * with curl or wget. The ci stack's ComputeType parameter and app.yaml's computeType take these.
 */
export const EC2_COMPUTE_TYPES = [
  "BUILD_GENERAL1_SMALL",
  "BUILD_GENERAL1_MEDIUM",
  "BUILD_GENERAL1_LARGE",
  "BUILD_GENERAL1_XLARGE",
] as const;

export const LAMBDA_COMPUTE_TYPES = [
  "BUILD_LAMBDA_1GB",
  "BUILD_LAMBDA_2GB",
  "BUILD_LAMBDA_4GB",
  "BUILD_LAMBDA_8GB",
  "BUILD_LAMBDA_10GB",
] as const;

export const COMPUTE_TYPES = [...EC2_COMPUTE_TYPES, ...LAMBDA_COMPUTE_TYPES] as const;
export type ComputeType = (typeof COMPUTE_TYPES)[number];

export const isLambdaCompute = (computeType: string): boolean => computeType.startsWith("BUILD_LAMBDA_");
