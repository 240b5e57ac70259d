/**
 * What a run's result says, one variant per kind, defined once. Every command that runs something
 * (push, layer build/publish, deploy, promote, a CodeBuild build, a pipeline) returns one of these
 * through `Output.result`; the history (history-lines.ts) writes lines from it, the summary
 * (`prebake summary`) makes rows of it, and the report reads the lines. A package's own result
 * type extends its variant with details (a deploy's changes, a build's artifacts); the variant holds
 * what those readers read, so none of them reads a field that is not declared here.
 *
 * `runResultsOf` is the one parser: results come back untyped from JSON (the summary's
 * results.jsonl) or through `Output.result(value: unknown)`.
 */
import { z } from "zod";

/** A phase of a build, or an action of a pipeline run; a phase still running has no duration. */
const phaseSchema = z.object({ name: z.string(), status: z.string(), durationMs: z.number().optional() });

const imageRunSchema = z.object({
  kind: z.literal("image"),
  name: z.string(),
  version: z.string(),
  action: z.enum(["built", "pushed", "skipped"]),
  durationMs: z.number(),
  /** The pushed (digest-pinned) or locally built reference. */
  uri: z.string().optional(),
  digest: z.string().optional(),
  /** Compressed bytes a pull transfers (config + layers). */
  sizeBytes: z.number().optional(),
});

const layerItemSchema = z.object({
  name: z.string(),
  /** built (new zip), up to date (the last build's zip reused), published, unchanged (that zip is already a published version). */
  action: z.enum(["built", "up to date", "published", "unchanged"]),
  /** The layer's build: pip, slimming and zipping, or the check that found it up to date. */
  durationMs: z.number(),
  zippedBytes: z.number(),
  unzippedBytes: z.number(),
  /** Cold import time of each top-level module, per Python version. */
  imports: z.array(z.object({ python: z.string(), module: z.string(), ms: z.number() })),
  layerVersionArn: z.string().optional(),
});

const layerRunSchema = z.object({
  kind: z.literal("layer"),
  command: z.string(),
  /** One per layer zip (a layer per architecture). */
  layers: z.array(layerItemSchema),
});

const deployRunSchema = z.object({
  kind: z.literal("deploy"),
  /** The stack folder. */
  stack: z.string(),
  /** The CloudFormation stack name. */
  stackName: z.string(),
  action: z.enum(["created", "updated", "skipped", "no-changes", "dry-run"]),
  durationMs: z.number(),
  /** The environment deployed to (`default`: the profile's implicit one) and its profile. */
  environment: z.string().optional(),
  profile: z.string().optional(),
});

const promoteRunSchema = z.object({
  kind: z.literal("promote"),
  from: z.string(),
  to: z.string(),
  /** The deploys the promotion made in the target environment (none on a dry run). */
  deployed: z.array(deployRunSchema),
});

const benchmarkSchema = z.object({ name: z.string(), variant: z.string() });

const codebuildLocalRunSchema = z.object({
  kind: z.literal("codebuild-local"),
  /** The project (`<stack>/<LogicalId>`), or "local" for a bare --image run. */
  project: z.string(),
  status: z.enum(["SUCCEEDED", "FAILED"]),
  durationMs: z.number(),
  /** The image it ran in. */
  image: z.string().optional(),
  computeType: z.string().optional(),
  phases: z.array(phaseSchema).optional(),
  /** A benchmark's run, kept out of the per-project figures. */
  benchmark: benchmarkSchema.optional(),
});

const codebuildRemoteRunSchema = z.object({
  kind: z.literal("codebuild-remote"),
  /** The deployed project's name. */
  projectName: z.string(),
  buildId: z.string(),
  /** CodeBuild's words: IN_PROGRESS (started with --no-wait), SUCCEEDED, FAILED, STOPPED, ... */
  status: z.string(),
  durationMs: z.number(),
  computeType: z.string().optional(),
  phases: z.array(phaseSchema),
  /** When CodeBuild says it ended (`history sync`); a followed build ends now. */
  endedAt: z.string().optional(),
});

const pipelineRunSchema = z.object({
  kind: z.literal("pipeline"),
  /** The pipeline's name. */
  pipeline: z.string(),
  executionId: z.string(),
  /** CodePipeline's words: Succeeded, Failed, Stopped, ... */
  status: z.string(),
  durationMs: z.number(),
  actions: z.array(
    z.object({
      stage: z.string(),
      action: z.string(),
      status: z.string(),
      durationMs: z.number().optional(),
    }),
  ),
});

export const runResultSchema = z.discriminatedUnion("kind", [
  imageRunSchema,
  layerRunSchema,
  deployRunSchema,
  promoteRunSchema,
  codebuildLocalRunSchema,
  codebuildRemoteRunSchema,
  pipelineRunSchema,
]);

export type RunResult = z.infer<typeof runResultSchema>;
export type RunKind = RunResult["kind"];
export type ImageRun = z.infer<typeof imageRunSchema>;
export type LayerRun = z.infer<typeof layerRunSchema>;
export type LayerRunItem = z.infer<typeof layerItemSchema>;
export type DeployRun = z.infer<typeof deployRunSchema>;
export type PromoteRun = z.infer<typeof promoteRunSchema>;
export type CodeBuildLocalRun = z.infer<typeof codebuildLocalRunSchema>;
export type CodeBuildRemoteRun = z.infer<typeof codebuildRemoteRunSchema>;
export type PipelineRun = z.infer<typeof pipelineRunSchema>;

export const RUN_KINDS: readonly RunKind[] = runResultSchema.options.map((o) => o.shape.kind.value);

const isRunKind = (v: unknown): v is RunKind => RUN_KINDS.includes(v as RunKind);

/**
 * The runs a recorded result holds: a result, an array of them (`push --all-versions`, several
 * stacks), or `{ results: [...] }`. A value without a run kind (render, lint, validate) holds
 * none. A value that says it is a run but does not have its kind's fields is an error naming the
 * field: a producer out of step with this file, never something to guess around.
 */
export function runResultsOf(value: unknown): RunResult[] {
  if (Array.isArray(value)) return value.flatMap(runResultsOf);
  if (!value || typeof value !== "object") return [];
  const fields = value as { kind?: unknown; results?: unknown };
  if (Array.isArray(fields.results)) return fields.results.flatMap(runResultsOf);
  if (!isRunKind(fields.kind)) return [];
  const parsed = runResultSchema.safeParse(value);
  if (parsed.success) return [parsed.data];
  const issue = parsed.error.issues[0]!;
  throw new Error(`a ${fields.kind} result: ${issue.path.join(".") || "(result)"}: ${issue.message}`);
}
