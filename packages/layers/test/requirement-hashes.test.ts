/**
 * Requirements without hashes leave the bytes to the index: a warning naming the file, and with
 * --strict a refusal (exit 4) before any image is resolved or container started.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createContext, ExitCode, ValidationError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { buildLayer, checkRequirementHashes } from "../src/build.ts";
import { parseLayerDefinition } from "../src/definition.ts";

const root = mkdtempSync(join(tmpdir(), "prebake-req-hashes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(root, "prebake.config.yaml"), "profile: local\nproject: rh\n");
writeFileSync(join(root, "plain.txt"), "six==1.17.0\n");
writeFileSync(
  join(root, "locked.txt"),
  "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n",
);

const layer = (requirements: string) =>
  parseLayerDefinition(
    `name: rh\nrequirements: ${requirements}\nindex: pypi\n`,
    "layers/rh/layer.yaml",
    root,
  );

function captured() {
  let text = "";
  const stdout = new Writable({
    write(chunk: Buffer, _e: string, cb: () => void) {
      text += String(chunk);
      cb();
    },
  });
  return { ctx: createContext({ cwd: root, stdout, stderr: stdout, tty: false, env: {} }), text: () => text };
}

describe("requirements without hashes", () => {
  it("warn, naming the file and the fix; locked ones say nothing", () => {
    const plain = captured();
    checkRequirementHashes(plain.ctx, layer("plain.txt"), false);
    expect(plain.text()).toMatch(
      /layers\/rh\/layer\.yaml: requirements plain\.txt carry no --hash for every requirement, so the index decides which files they mean \(fix: lock them with hashes .*; --strict refuses them\)/,
    );
    const locked = captured();
    checkRequirementHashes(locked.ctx, layer("locked.txt"), false);
    expect(locked.text()).toBe("");
  });

  it("are refused with --strict (exit 4) before the build resolves an image or starts a container", async () => {
    const { ctx, text } = captured();
    const err = await buildLayer(ctx, layer("plain.txt"), { strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).exitCode).toBe(ExitCode.VALIDATION);
    expect((err as ValidationError).where).toBe("layers/rh/layer.yaml: requirements");
    expect(text()).not.toContain("python-layer"); // no image was looked for
  });
});
