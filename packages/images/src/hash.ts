import type { ContextFile } from "./context.ts";
import { sha256 } from "./context.ts";

/** Everything that decides what an image build produces. */
export interface HashInputs {
  dockerfile: string;
  files: ContextFile[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  platform: string;
  /** The base image's id in the local engine (local profile) or its registry digest (aws profile). */
  baseImageId: string;
}

const sortedPairs = (record: Record<string, string>) =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The image's identity: sha256 over a canonical JSON of the inputs (keys sorted, files sorted by
 * path with mode and content hash). Bump `v` when the recipe changes so old hashes stop matching.
 */
export function computeContentHash(inputs: HashInputs): string {
  const canonical = JSON.stringify({
    v: 1,
    dockerfile: inputs.dockerfile,
    files: [...inputs.files]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((f) => [f.path, f.type, f.mode.toString(8), f.sha256]),
    buildArgs: sortedPairs(inputs.buildArgs),
    labels: sortedPairs(inputs.labels),
    platform: inputs.platform,
    base: inputs.baseImageId,
  });
  return `sha256:${sha256(canonical)}`;
}
