/**
 * Secondary sources of a local build, as CodeBuild gives them (a pipeline action's extra input
 * artifacts): each in its own folder beside the primary source, named by CODEBUILD_SRC_DIR_<name>.
 * CodeBuild's own folder names are generated (…/src/s3/01); builds should use the variables.
 */
import { existsSync } from "node:fs";
import { ConfigError } from "@prebake/core";
import { pack } from "tar-fs";

/** name -> host folder. */
export type SecondarySources = Record<string, string>;

export interface PlacedSource {
  name: string;
  hostDir: string;
  /** Where it is in the build container. */
  path: string;
}

/** CodeBuild's source identifiers: they become part of a variable name. */
const SOURCE_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

/** Check the names and folders, and give each source its place in the container (s3/01, s3/02, ...). */
export function placeSecondarySources(sources: SecondarySources = {}): PlacedSource[] {
  return Object.entries(sources).map(([name, hostDir], i) => {
    if (!SOURCE_IDENTIFIER.test(name)) {
      throw new ConfigError(`'${name}' cannot name a secondary source`, {
        where: `secondary input ${name}`,
        fix: "name the artifact with a letter first, then letters, digits or _ (CodeBuild makes CODEBUILD_SRC_DIR_<name> of it)",
      });
    }
    if (!existsSync(hostDir))
      throw new ConfigError("secondary source folder not found", { where: hostDir, fix: "check the path" });
    return { name, hostDir, path: `/codebuild/output/src/s3/${String(i + 1).padStart(2, "0")}` };
  });
}

/** CODEBUILD_SRC_DIR_<name> for each secondary source. */
export function secondarySourceVariables(placed: PlacedSource[]): Record<string, string> {
  return Object.fromEntries(placed.map((s) => [`CODEBUILD_SRC_DIR_${s.name}`, s.path]));
}

/** One secondary source as a tar rooted at /, for the container's putArchive. */
export function secondarySourceTar(source: PlacedSource): NodeJS.ReadableStream {
  return pack(source.hostDir, {
    map: (header) => {
      header.name = `${source.path.slice(1)}/${header.name}`;
      return header;
    },
  });
}
