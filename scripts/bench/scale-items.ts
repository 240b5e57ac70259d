/**
 * What `npm run bench -- scale` adds to a throw-away copy so it looks like a team's repository:
 * N one-resource stacks, M tiny images and K small layers, as folders (the way a team adds them).
 * Stack i uses image i mod M (its digest is a parameter, so it deploys after that push), as the
 * sample's ci stack uses its images. Every name carries the copy's nonce: images and layers are
 * content-addressed, so a fresh nonce makes each copy's first run build, push and publish for real,
 * and nothing collides with another copy or another session.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ScaleSize {
  stacks: number;
  images: number;
  layers: number;
}

export interface ScaleItems {
  stacks: string[];
  images: string[];
  layers: string[];
  /** ECR repositories of the images (to remove afterwards). */
  repositories: string[];
}

/** One small pure-Python wheel of this machine's index, pinned with its hash. */
const LAYER_REQUIREMENT =
  "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n";

const pad = (i: number) => String(i).padStart(2, "0");

function write(file: string, text: string): void {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
}

function addImage(copy: string, name: string, repository: string, nonce: string): void {
  write(
    join(copy, "images", name, "image.yaml"),
    [
      `name: ${name}`,
      `repository: ${repository}`,
      "description: a tiny image of the scale benchmark",
      `defaultVersion: "1"`,
      "base:",
      "  local: prebake/debian:bookworm",
      "  aws: public.ecr.aws/amazonlinux/amazonlinux:2023",
      "versions:",
      `  "1": {}`,
      "",
    ].join("\n"),
  );
  write(
    join(copy, "images", name, "Dockerfile"),
    `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN echo "${name} ${nonce}" > /etc/scale-bench\n`,
  );
}

function addStack(copy: string, name: string, image: string | undefined): void {
  const metadata = image
    ? `Metadata: { Prebake: { Images: ["${image}"], After: [], ImageParameters: { Image: "${image}" } } },\n  `
    : "";
  write(
    join(copy, "stacks", name, "stack.ts"),
    `import { defineTemplate, Ref, resource } from "@prebake/stack";

export default defineTemplate({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "${name}: one resource of the scale benchmark",
  ${metadata}Parameters: {
    Image: { Type: "String", Default: "none", Description: "the image this stack names (prebake deploy fills it in)" },
  },
  Resources: {
    Value: resource("AWS::SSM::Parameter", { Type: "String", Value: Ref("Image") }),
  },
});
`,
  );
}

function addLayer(copy: string, name: string): void {
  // Layers are folders under layers/ now; the baseline's code (90731a4) reads them from examples/.
  const root = existsSync(join(copy, "layers")) ? "layers" : "examples";
  write(
    join(copy, root, name, "layer.yaml"),
    [
      `name: ${name}`,
      "description: a small layer of the scale benchmark",
      "requirements: requirements.txt",
      "source: python",
      `pythonVersions: ["3.11"]`,
      "architectures: [x86_64]",
      "index: local",
      "",
    ].join("\n"),
  );
  write(join(copy, root, name, "requirements.txt"), LAYER_REQUIREMENT);
  const module = name.replaceAll("-", "_");
  write(join(copy, root, name, "python", module, "__init__.py"), `NAME = "${name}"\n`);
}

/** Adds the items to `copy`; returns their names. */
export function addScaleItems(copy: string, size: ScaleSize, nonce: string): ScaleItems {
  const images = Array.from({ length: size.images }, (_, i) => `scale-${nonce}-i${pad(i + 1)}`);
  const repositories = images.map((name) => `prebake-bench/${name}`);
  for (const [i, name] of images.entries()) addImage(copy, name, repositories[i]!, nonce);
  const stacks = Array.from({ length: size.stacks }, (_, i) => `scale-s${pad(i + 1)}`);
  for (const [i, name] of stacks.entries()) addStack(copy, name, images[i % images.length]);
  const layers = Array.from({ length: size.layers }, (_, i) => `scale-${nonce}-l${pad(i + 1)}`);
  for (const name of layers) addLayer(copy, name);
  return { stacks, images, layers, repositories };
}
