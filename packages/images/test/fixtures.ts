import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { type Context, createContext } from "@prebake/core";

/** Integration fixtures: a throwaway repository root with tiny image definitions, on the real services. */

export const CLI = resolve(import.meta.dirname, "../../cli/bin/prebake.js");
export const NODE = resolve(import.meta.dirname, "../../../node_modules/.bin/node");
export const suffix = () => Math.random().toString(36).slice(2, 8);

export interface TestRoot {
  root: string;
  repos: string[];
}

export function makeRoot(): TestRoot {
  const root = mkdtempSync(join(tmpdir(), "prebake-images-int-"));
  return { root, repos: [] };
}

export function writeTinyImage(
  t: TestRoot,
  name: string,
  options: {
    repository: string;
    keepPerVersion?: number;
    dockerfile?: string;
    files?: Record<string, string>;
  },
): void {
  const dir = join(t.root, "images", name);
  mkdirSync(dir, { recursive: true });
  t.repos.push(options.repository);
  writeFileSync(
    join(dir, "image.yaml"),
    `name: ${name}
repository: ${options.repository}
description: integration test image
platform: linux/amd64
defaultVersion: "1.0"
base: { local: prebake/debian:bookworm }
buildArgs: { GREETING: hello }
versions:
  "1.0": { buildArgs: { LINE: "one" } }
  "2.0": { buildArgs: { LINE: "two" } }
labels: { org.opencontainers.image.title: ${name} }
repositoryTags: { Team: test }
lifecycle: { keepPerVersion: ${options.keepPerVersion ?? 3}, untaggedExpireDays: 7 }
`,
  );
  writeFileSync(
    join(dir, "Dockerfile"),
    options.dockerfile ??
      `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG GREETING
ARG LINE
COPY hello.txt /opt/hello.txt
RUN echo "\${GREETING} from line \${LINE}" && cat /opt/hello.txt
`,
  );
  writeFileSync(join(dir, ".dockerignore"), "scratch/\n");
  for (const [path, content] of Object.entries({ "hello.txt": "hello\n", ...(options.files ?? {}) })) {
    writeFileSync(join(dir, path), content);
  }
}

/**
 * Make `folder` one of the project's stacks (stacks/<folder>/stack.yaml; its content does not
 * matter here): the in-use scan asks for the project's stacks by name, <project>-[<env>-]<folder>.
 */
export function declareStack(t: TestRoot, folder: string): void {
  mkdirSync(join(t.root, "stacks", folder), { recursive: true });
  writeFileSync(join(t.root, "stacks", folder, "stack.yaml"), "Resources: {}\n");
}

/** A context on the local profile whose human output is captured. */
export function testContext(
  root: string,
  env: NodeJS.ProcessEnv = {},
): { ctx: Context; output: () => string } {
  const sink = new PassThrough();
  let text = "";
  sink.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const ctx = createContext({ cwd: root, env, stdout: sink, stderr: sink, tty: false, verbose: false });
  return { ctx, output: () => text };
}

export function runCli(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(NODE, [CLI, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "1", ...env },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Remove what a test created: emulator repositories, registry manifests (when deletion is on), local images. */
export async function cleanup(t: TestRoot, ctx: Context): Promise<void> {
  const ecr = ctx.aws(ECRClient);
  const docker = ctx.docker();
  const registry = ctx.config.profile.registry!;
  for (const repo of new Set(t.repos)) {
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: repo, force: true })).catch(() => undefined);
    const tags = (await fetch(`http://${registry}/v2/${repo}/tags/list`)
      .then((r) => r.json())
      .catch(() => ({}))) as { tags?: string[] | null };
    for (const tag of tags.tags ?? []) {
      const head = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
        method: "HEAD",
        headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      }).catch(() => undefined);
      const digest = head?.headers.get("docker-content-digest");
      if (digest) {
        await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" }).catch(
          () => undefined,
        );
      }
    }
    // By tag and by digest: a --force rebuild leaves the previous image untagged but still named.
    for (const image of await docker.listImages({ all: false })) {
      const refs = [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])];
      if (refs.some((r) => r.startsWith(`${registry}/${repo}:`) || r.startsWith(`${registry}/${repo}@`))) {
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
  }
  rmSync(t.root, { recursive: true, force: true });
}
