import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway images/<name>/ folder holding the given files. Returns the images/ folder. */
export function writeImageFolder(name: string, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-images-"));
  const dir = join(root, "images", name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return join(root, "images");
}

export const TINY_YAML = `name: tiny
repository: prebake-test/tiny
description: a test image
platform: linux/amd64
defaultVersion: "1.0"
base:
  local: prebake/debian:bookworm
  aws: public.ecr.aws/amazonlinux/amazonlinux:2023
buildArgs: { COMMON: "c" }
versions:
  "1.0": { buildArgs: { LINE: "one" } }
  "2.0": { buildArgs: { LINE: "two", COMMON: "override" }, base: { aws: public.ecr.aws/sam/build-python3.12 } }
labels: { org.opencontainers.image.title: tiny }
repositoryTags: { Team: platform }
lifecycle: { keepPerVersion: 3, untaggedExpireDays: 7 }
`;
