/**
 * The buildspec (version 0.2, or 0.1) as the runners see it: every key of CodeBuild's buildspec
 * reference has a field here, validated by the parser (buildspec.ts). What a local run does with
 * each one is in packages/codebuild/README.md ("Conformance").
 */
export const PHASES = ["install", "pre_build", "build", "post_build"] as const;
export type PhaseName = (typeof PHASES)[number];

/** A GitHub Actions step in a phase (CodeBuild's managed action runner); validated, not run locally. */
export interface ActionStep {
  name: string | undefined;
  uses: string | undefined;
  run: string | undefined;
}

export interface Phase {
  commands: string[];
  finally: string[];
  /** ABORT (default), CONTINUE, or RETRY[-count][-regex] (see `retry`). */
  onFailure: "ABORT" | "CONTINUE" | "RETRY";
  /** For on-failure RETRY: how often, and the error message that must match. */
  retry?: { count: number; pattern: string } | undefined;
  runtimeVersions: Record<string, string>;
  /** The Linux user this phase's commands run as (overrides the buildspec's run-as). */
  runAs?: string | undefined;
  /** GitHub Actions steps instead of commands. */
  steps?: ActionStep[] | undefined;
}

/** One artifact definition: the primary one, or a secondary one (its identifier set). */
export interface ArtifactSet {
  identifier?: string | undefined;
  files: string[];
  baseDirectory: string | undefined;
  discardPaths: boolean;
  name: string | undefined;
  excludePaths: string[];
  enableSymlinks: boolean;
  s3Prefix: string | undefined;
}

export interface Artifacts extends ArtifactSet {
  secondary: ArtifactSet[];
}

export const TEST_REPORT_FORMATS = [
  "CUCUMBERJSON",
  "JUNITXML",
  "NUNITXML",
  "NUNIT3XML",
  "TESTNGXML",
  "VISUALSTUDIOTRX",
] as const;
export const COVERAGE_REPORT_FORMATS = ["CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"] as const;
export type ReportFormat = (typeof TEST_REPORT_FORMATS)[number] | (typeof COVERAGE_REPORT_FORMATS)[number];

export interface ReportGroup {
  /** A report group's name or ARN, as the buildspec gives it. */
  name: string;
  files: string[];
  baseDirectory: string | undefined;
  discardPaths: boolean;
  fileFormat: ReportFormat;
}

export interface Cache {
  paths: string[];
  key: string | undefined;
  fallbackKeys: string[];
  /** restore only, save only, or (undefined) both. */
  action: "restore" | "save" | undefined;
}

export const BATCH_KINDS = ["build-list", "build-matrix", "build-graph", "build-fanout"] as const;

export interface Batch {
  fastFail: boolean | undefined;
  kind: (typeof BATCH_KINDS)[number] | undefined;
  /** The buildspecs the build-list/build-graph tasks name (`buildspec:`), in order, each once. */
  taskBuildspecs?: string[] | undefined;
}

export interface Env {
  shell: string | undefined;
  variables: Record<string, string>;
  parameterStore: Record<string, string>;
  secretsManager: Record<string, string>;
  exportedVariables: string[];
  gitCredentialHelper: boolean | undefined;
}

export interface Buildspec {
  file: string;
  version: string;
  /** The Linux user every command runs as (a phase's run-as wins); undefined: root. */
  runAs: string | undefined;
  env: Env;
  proxy: { uploadArtifacts: boolean | undefined; logs: boolean | undefined } | undefined;
  batch: Batch | undefined;
  phases: Partial<Record<PhaseName, Phase>>;
  reports: ReportGroup[];
  artifacts: Artifacts | undefined;
  cache: Cache | undefined;
  warnings: string[];
  /** Line of each key read, by its path (`phases.build.on-failure`, `cache`, `env.shell`, ...). */
  lines: Record<string, number>;
}
