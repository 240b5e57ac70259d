import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { ConfigError, type Context, distPaths, environmentSegment } from "@prebake/core";
import { type RemoteBuildResult, runRemoteBuild } from "./remote.ts";
import { uploadSourceArchive } from "./source-upload.ts";

/**
 * Image rebuild in CodeBuild, for teams without a local Docker engine: the committed tree
 * (git archive of HEAD) goes to the image-rebuild stack's source bucket, and its privileged
 * project runs buildspecs/image-rebuild.yml, i.e. the same `prebake push` a laptop runs.
 */
export function rebuildTarget(
  root: string,
  environment?: string,
): { bucket: string; project: string; key: string } {
  const file = distPaths.stackOutputs(root, "image-rebuild", environment);
  const outputs = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as {
        outputs?: Record<string, string>;
        parameters?: Record<string, string>;
      })
    : undefined;
  const bucket = outputs?.outputs?.SourceBucketName;
  const project = outputs?.outputs?.RebuildProjectName;
  if (!bucket || !project) {
    throw new ConfigError(
      "the image-rebuild stack's outputs (SourceBucketName, RebuildProjectName) are not known",
      {
        where: relative(root, file),
        fix: `deploy it first: prebake${environment ? ` --env ${environment}` : ""} deploy image-rebuild`,
      },
    );
  }
  return { bucket, project, key: outputs?.parameters?.SourceObjectKey || "source/prebake.zip" };
}

export async function rebuildImagesInCodeBuild(
  ctx: Context,
  opts: { wait: boolean },
): Promise<RemoteBuildResult> {
  const { bucket, project, key } = rebuildTarget(
    ctx.config.rootDir,
    environmentSegment(ctx.config.environment),
  );
  await uploadSourceArchive(ctx, bucket, key);
  return runRemoteBuild(ctx, { projectName: project, wait: opts.wait });
}
