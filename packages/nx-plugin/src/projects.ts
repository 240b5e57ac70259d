/**
 * Which Nx project a marker file makes: images/<name>/image.yaml, stacks/<name>/stack.ts,
 * layers/<name>/layer.yaml or apps/<name>/rebar.config. Project names are folder names.
 */
import { basename, dirname } from "node:path";
import type { ProjectConfiguration } from "@nx/devkit";
import { APP_DEFAULTS } from "@prebake/core/paths";
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

/** What a stack's deploy waits for, from its rendered template's Metadata.Prebake. */
export interface StackOrder {
  images: string[];
  after: string[];
}

export const PROJECT_MARKERS =
  "{images/*/image.yaml,stacks/*/stack.ts,layers/*/layer.yaml,apps/*/app.yaml,apps/*/rebar.config}";

const KINDS = {
  "images/image.yaml": "image",
  "stacks/stack.ts": "stack",
  "layers/layer.yaml": "layer",
  "apps/app.yaml": "app",
  "apps/rebar.config": "app",
} as const;

export interface Marker {
  kind: (typeof KINDS)[keyof typeof KINDS];
  name: string;
  root: string;
}

/** The project a marker file stands for (its kind, name and root), or undefined for any other file. */
export function markerOf(file: string): Marker | undefined {
  const root = dirname(file);
  const [folder, name, ...deeper] = root.split("/");
  const kind = KINDS[`${folder}/${basename(file)}` as keyof typeof KINDS];
  return kind && name && deeper.length === 0 ? { kind, name, root } : undefined;
}

function imageProject(root: string, name: string, environments: string[]): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:image"],
    targets: {
      "build-image": buildImageTarget(name),
      push: pushTarget(name),
      deploy: imageDeployTarget(name, environments),
    },
  };
}

function stackProject(
  root: string,
  name: string,
  order: StackOrder = { images: [], after: [] },
  environments: string[] = [],
): ProjectConfiguration {
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
      deploy: stackDeployTarget(name, environments),
    },
  };
}

function layerProject(root: string, name: string, environments: string[]): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:layer"],
    implicitDependencies: ["python-layer"],
    targets: {
      "build-layer": buildLayerTarget(name),
      "publish-layer": publishLayerTarget(name),
      deploy: layerDeployTarget(name, environments),
    },
  };
}

function appProject(root: string, name: string, image: string): ProjectConfiguration {
  return {
    root,
    name,
    tags: ["type:app"],
    implicitDependencies: [image],
    targets: { codebuild: codebuildTarget(name) },
  };
}

/**
 * The project a marker file defines, or undefined for a file that is not one. A stack's `order`
 * is undefined until it is rendered: then it deploys after nothing. `environments` (the names under
 * environments: in prebake.config.yaml) give the deploy targets one configuration each. An app
 * depends on the image it builds in (`appImage`: app.yaml's image, erlang-otp by default).
 */
export function projectFromFile(
  file: string,
  order?: StackOrder,
  environments: string[] = [],
  appImage: string = APP_DEFAULTS.image,
): ProjectConfiguration | undefined {
  const marker = markerOf(file);
  switch (marker?.kind) {
    case "image":
      return imageProject(marker.root, marker.name, environments);
    case "stack":
      return stackProject(marker.root, marker.name, order, environments);
    case "layer":
      return layerProject(marker.root, marker.name, environments);
    case "app":
      return appProject(marker.root, marker.name, appImage);
    default:
      return undefined;
  }
}
