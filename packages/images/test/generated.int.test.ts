/**
 * An image's generated context files (image.yaml generated:) made on the host: a pinned npm
 * package fetched by npm's own client and checked against its integrity, and a command of the
 * project that writes a file. The npm registry is real (the one npm is configured with).
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext, ExitCode, isPrebakeError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { listContextFiles } from "../src/context.ts";
import { loadImageDefinition } from "../src/definition.ts";
import { integrityOf, prepareGeneratedFiles } from "../src/generated.ts";
import { TINY_YAML, writeImageFolder } from "./helpers.ts";

// A small package the lockfile already pins (package-lock.json: node_modules/commander).
const COMMANDER = "commander@15.1.0";
const COMMANDER_INTEGRITY =
  "sha512-cgnQ88TRrWcC7pVq46RzJVRMktu3W2RcbnoidnfBsl1bmDCBwJS/udcIZpKoCrbAYYaCqsz1yZCVIgbIaU3ddQ==";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** An image folder with these generated entries, and a context rooted at its project. */
function imageWith(generated: string, files: Record<string, string> = {}) {
  const images = writeImageFolder("tiny", {
    "image.yaml": `${TINY_YAML}generated:\n${generated}`,
    Dockerfile: "FROM scratch\n",
    ".dockerignore": "*\n!Dockerfile\n!build/*\n",
    ...files,
  });
  const root = join(images, "..");
  roots.push(root);
  writeFileSync(join(root, "prebake.config.yaml"), "profile: local\n");
  return {
    def: loadImageDefinition(images, "tiny"),
    ctx: createContext({ cwd: root, quiet: true, env: {} }),
  };
}

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPrebakeError(err)) throw new Error(`expected a prebake error, got ${String(err)}`);
  return { code: err.exitCode, line: err.toLine() };
}

describe("generated context files", () => {
  it("fetches a pinned npm package into the context, checked by its integrity, and hashes it", async () => {
    const { def, ctx } = imageWith(
      `  - { path: build/commander.tgz, npm: "${COMMANDER}", integrity: "${COMMANDER_INTEGRITY}" }\n`,
    );
    await prepareGeneratedFiles(ctx, def);
    const tgz = join(def.dir, "build/commander.tgz");
    expect(await integrityOf(tgz)).toBe(COMMANDER_INTEGRITY);
    expect(listContextFiles(def.dir).map((f) => f.path)).toContain("build/commander.tgz");
    // Present and right: not fetched again (the file is not rewritten); a file that differs is.
    const before = statSync(tgz).mtimeMs;
    await prepareGeneratedFiles(ctx, def);
    expect(statSync(tgz).mtimeMs).toBe(before);
    writeFileSync(tgz, "not the package");
    await prepareGeneratedFiles(ctx, def);
    expect(await integrityOf(tgz)).toBe(COMMANDER_INTEGRITY);
  });

  it("refuses a package that is not the pinned one (exit 9), and writes nothing", async () => {
    const wrong = `sha512-${Buffer.alloc(64, 7).toString("base64")}`;
    const { def, ctx } = imageWith(
      `  - { path: build/commander.tgz, npm: "${COMMANDER}", integrity: "${wrong}" }\n`,
    );
    const { code, line } = await failure(prepareGeneratedFiles(ctx, def));
    expect(code).toBe(ExitCode.REFUSED);
    expect(line).toContain(
      "images/tiny/image.yaml: generated[0] (build/commander.tgz): commander@15.1.0 from the npm registry is not the package pinned here",
    );
    expect(existsSync(join(def.dir, "build/commander.tgz"))).toBe(false);
  });

  it("runs a command from the project root (node: the running Node) and hashes what it wrote", async () => {
    const { def, ctx } = imageWith(
      "  - { path: build/made.txt, run: [node, make.mjs, images/tiny/build/made.txt] }\n",
    );
    writeFileSync(
      join(ctx.config.rootDir, "make.mjs"),
      'import { mkdirSync, writeFileSync } from "node:fs";\nimport { dirname } from "node:path";\n' +
        "mkdirSync(dirname(process.argv[2]), { recursive: true });\nwriteFileSync(process.argv[2], process.version);\n",
    );
    await prepareGeneratedFiles(ctx, def);
    expect(readFileSync(join(def.dir, "build/made.txt"), "utf8")).toBe(process.version);
    expect(listContextFiles(def.dir).map((f) => f.path)).toContain("build/made.txt");
  });

  it("a command that fails, or writes nothing, is a failed build (exit 8) naming the entry", async () => {
    const failing = imageWith(
      "  - { path: build/x, run: [node, -e, \"console.error('no way'); process.exit(3)\"] }\n",
    );
    const a = await failure(prepareGeneratedFiles(failing.ctx, failing.def));
    expect(a.code).toBe(ExitCode.BUILD_FAILED);
    expect(a.line).toContain("generated[0] (build/x):");
    expect(a.line).toContain("no way");
    const silent = imageWith("  - { path: build/x, run: [node, -e, '0'] }\n");
    const b = await failure(prepareGeneratedFiles(silent.ctx, silent.def));
    expect(b.code).toBe(ExitCode.BUILD_FAILED);
    expect(b.line).toContain("did not write the file");
  });
});
