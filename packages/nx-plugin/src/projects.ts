/**
 * Which Nx project a marker file makes: images/<name>/image.yaml, stacks/<name>/stack.ts,
 * examples/<name>/layer.yaml or examples/<name>/rebar.config. Project names are folder names.
 */
import { basename, dirname } from "node:path";
import type { ProjectConfiguration } from "@nx/devkit";
import {
  buildImageTarget,
  buildLayerTarget,
  checkTarget,
  codebuildTarget,
  imageDeployTarget,
  layerDeployTarget,
  lintTarget,
  publishLayerTarget,
  pushTarget,
  renderTarget,
  stackDeployTarget,
} from "./targets.ts";

/** The Metadata.Prebake ordering of a rendered stack, or undefined when it is not rendered yet. */
export type StackOrdering = (stack: string) => { images: string[]; after: string[] } | undefined;

export const PROJECT_MARKERS =
  "{images/*/image.yaml,stacks/*/stack.ts,examples/*/layer.yaml,examples/*/rebar.config}";

function imageProject(root: string, name: string): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:image"],
    targets: {
      "build-image": buildImageTarget(name),
      push: pushTarget(name),
      deploy: imageDeployTarget(name),
    },
  };
}

function stackProject(root: string, name: string, ordering: StackOrdering): ProjectConfiguration {
  const order = ordering(name) ?? { images: [], after: [] };
  return {
    root,
    name,
    tags: ["type:stack"],
    // What `^deploy` follows: the images the template uses and the stacks it comes after.
    implicitDependencies: [...order.images, ...order.after],
    targets: {
      render: renderTarget(name),
      check: checkTarget(name),
      lint: lintTarget(name),
      deploy: stackDeployTarget(name),
    },
  };
}

function layerProject(root: string, name: string): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:layer"],
    implicitDependencies: ["python-layer"],
    targets: {
      "build-layer": buildLayerTarget(name),
      "publish-layer": publishLayerTarget(name),
      deploy: layerDeployTarget(name),
    },
  };
}

function appProject(root: string, name: string): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:app"],
    implicitDependencies: ["erlang-otp"],
    targets: { codebuild: codebuildTarget(name) },
  };
}

/** The project a marker file defines, or undefined for a file that is not one. */
export function projectFromFile(file: string, ordering: StackOrdering): ProjectConfiguration | undefined {
  const root = dirname(file);
  const [kind, name, ...deeper] = root.split("/");
  if (!name || deeper.length > 0) return undefined;
  switch (`${kind}/${basename(file)}`) {
    case "images/image.yaml":
      return imageProject(root, name);
    case "stacks/stack.ts":
      return stackProject(root, name, ordering);
    case "examples/layer.yaml":
      return layerProject(root, name);
    case "examples/rebar.config":
      return appProject(root, name);
    default:
      return undefined;
  }
}
