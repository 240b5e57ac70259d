/**
 * A project whose stack takes an image through Metadata.Prebake.ImageParameters, and that image's
 * definition: the fixture the deploy, codebuild and aws-profile tests of image parameters share.
 */

export interface TestImage {
  repository: string;
  /** image.yaml's base, as written there; the local Debian base by default. */
  base?: string;
  /** The versions it defines; the last is its default version. */
  versions?: string[];
  keepPerVersion?: number;
  /** A file the Dockerfile copies to /<name> (what makes the image the test's own); none: FROM the base only. */
  file?: { name: string; text: string };
}

/** images/<name>/ (image.yaml, Dockerfile, the copied file) as paths below the root and their text. */
export function testImageFiles(name: string, image: TestImage): Record<string, string> {
  const versions = image.versions ?? ["1.0"];
  const yaml = [
    `name: ${name}`,
    `repository: ${image.repository}`,
    `defaultVersion: "${versions.at(-1)}"`,
    ...(image.keepPerVersion ? [`lifecycle: { keepPerVersion: ${image.keepPerVersion} }`] : []),
    `base: ${image.base ?? "{ local: prebake/debian:bookworm }"}`,
    `versions: { ${versions.map((v) => `"${v}": {}`).join(", ")} }`,
  ];
  const { file } = image;
  return {
    [`images/${name}/image.yaml`]: `${yaml.join("\n")}\n`,
    [`images/${name}/Dockerfile`]: `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\n${file ? `COPY ${file.name} /${file.name}\n` : ""}`,
    ...(file ? { [`images/${name}/${file.name}`]: file.text } : {}),
  };
}

/**
 * A template's opening: Metadata.Prebake gives `parameter` the pushed `image`, and the parameter
 * falls back to `fallback`. Append further Parameters entries, then Resources.
 */
export function imageParameterTemplate(parameter: string, fallback: string, image = "tool"): string {
  return `AWSTemplateFormatVersion: "2010-09-09"
Metadata:
  Prebake:
    Images: [${image}]
    ImageParameters:
      ${parameter}: ${image}
Parameters:
  ${parameter}:
    Type: String
    Default: ${fallback}
`;
}
