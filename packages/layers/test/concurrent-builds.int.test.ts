/**
 * Two builds of one layer on one checkout at once (two terminals, or Nx and a hand-run build):
 * they would share the layer's build folder (stage/, pip's batches, the zip), each removing and
 * refilling what the other is zipping. The second waits for the first, naming it; both succeed with
 * the same bytes. Real engine, the python-layer image, a small file index of one wheel.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { makeTestIndex } from "./test-index.ts";

const REPO = resolve(import.meta.dirname, "..", "..", "..");
const CLI = join(REPO, "packages", "cli", "bin", "prebake.js");
const NODE = join(REPO, "node_modules", ".bin", "node");
const NAME = `cb-${randomBytes(3).toString("hex")}`;
const WHEEL = "six-1.17.0-py2.py3-none-any.whl";
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prebake-concurrent-layer-"));
  const index = await makeTestIndex(join(root, "index"), [WHEEL]);
  copyRepoImage(root, "python-layer");
  await writeFile(join(root, "prebake.config.yaml"), `profile: local\nproject: ${NAME}\n`);
  await mkdir(join(root, "layers", NAME, "src", "cb"), { recursive: true });
  await writeFile(join(root, "layers", NAME, "src", "cb", "__init__.py"), "VALUE = 1\n");
  const sha256 = createHash("sha256").update(readFileSync(index.wheels[WHEEL]!)).digest("hex");
  await writeFile(
    join(root, "layers", NAME, "requirements.txt"),
    `six==1.17.0 \\\n    --hash=sha256:${sha256}\n`,
  );
  await writeFile(
    join(root, "layers", NAME, "layer.yaml"),
    `name: ${NAME}\nrequirements: requirements.txt\nsource: src\nindex: ${index.simple}\n`,
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function build(): Promise<{ code: number | null; out: string; pid: number }> {
  const child = spawn(NODE, [CLI, "--json", "layer", "build", NAME, "--force", "--skip-smoke-test"], {
    cwd: root,
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d;
  });
  return new Promise((ok) => child.on("close", (code) => ok({ code, out, pid: child.pid! })));
}

describe("two builds of one layer at once", () => {
  it("the second waits for the first, naming it; both succeed, with the same zip", async () => {
    const [a, b] = await Promise.all([build(), new Promise((r) => setTimeout(r, 300)).then(build)]);
    expect(a.code, a.out.slice(-2000)).toBe(0);
    expect(b.code, b.out.slice(-2000)).toBe(0);
    const waited = [a, b].filter((r) =>
      r.out.includes(`waiting for the build of ${NAME} that holds its folder (pid `),
    );
    expect(waited).toHaveLength(1);
    const sha = (r: { out: string }) => /"sha256": "([0-9a-f]{64})"/.exec(r.out)?.[1];
    expect(sha(a)).toBeDefined();
    expect(sha(a)).toBe(sha(b));
    expect(existsSync(join(root, "dist", "layers", `${NAME}.lock`))).toBe(false);
  });
});
