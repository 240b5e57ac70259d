/**
 * A layer built from an index whose URL carries a token (`http://user:<token>@host/simple`, as a
 * CodeArtifact or Artifactory URL does): the token reaches pip through its environment only. The
 * secret canary must appear nowhere: not in `ps` while pip runs, not in the build container's
 * configuration, not on stdout, stderr or in --json, not in the run history or under dist/. The
 * index is a real HTTP server here that demands the credentials (401 without them), so the build
 * only succeeds when pip really had them.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesUnder } from "../../core/test/canary.ts";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { makeTestIndex, type TestIndex } from "./test-index.ts";

const REPO = resolve(import.meta.dirname, "..", "..", "..");
const CLI = join(REPO, "packages", "cli", "bin", "prebake.js");
const NODE = join(REPO, "node_modules", ".bin", "node");
const suffix = randomBytes(3).toString("hex");
const NAME = `ic-${suffix}`;
const USER = "prebake-test";
const CANARY = `CANARY${randomBytes(8).toString("hex")}`;
const WHEEL = "six-1.17.0-py2.py3-none-any.whl";

let root: string;
let index: TestIndex;
let server: Server;
const requests = { authorized: 0, refused: 0 };

/** The test index over HTTP, answering only requests that carry USER:CANARY (basic auth). */
function serveIndex(dir: string): Promise<number> {
  const expected = `Basic ${Buffer.from(`${USER}:${CANARY}`).toString("base64")}`;
  server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      requests.refused++;
      res.writeHead(401, { "www-authenticate": 'Basic realm="test index"' }).end();
      return;
    }
    requests.authorized++;
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = join(dir, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".html") ? "text/html" : "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prebake-index-creds-"));
  index = await makeTestIndex(join(root, "index"), [WHEEL]);
  const port = await serveIndex(join(root, "index"));
  copyRepoImage(root, "python-layer");
  await writeFile(join(root, "prebake.config.yaml"), `profile: local\nproject: ic${suffix}\n`);
  await mkdir(join(root, "layers", NAME), { recursive: true });
  const sha256 = createHash("sha256").update(readFileSync(index.wheels[WHEEL]!)).digest("hex");
  await writeFile(
    join(root, "layers", NAME, "requirements.txt"),
    `six==1.17.0 \\\n    --hash=sha256:${sha256}\n`,
  );
  await writeFile(
    join(root, "layers", NAME, "layer.yaml"),
    `name: ${NAME}\nrequirements: requirements.txt\nindex: http://${USER}:${CANARY}@127.0.0.1:${port}/simple/\n`,
  );
});

afterAll(async () => {
  server?.close();
  await rm(root, { recursive: true, force: true });
});

/** What `ps` shows of every process's command line, and what the engine shows of the build containers. */
function visibleNow(): string {
  const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
  const ids = spawnSync("docker", ["ps", "-q", "--filter", "label=prebake.role=layer-build"], {
    encoding: "utf8",
  }).stdout.trim();
  const inspect = ids
    ? spawnSync("docker", ["inspect", ...ids.split("\n")], { encoding: "utf8" }).stdout
    : "";
  return ps + inspect;
}

describe("a layer index URL with credentials", () => {
  it("reaches pip only through its environment: the canary is nowhere (ps, container, output, --json, history, dist)", async () => {
    const history = join(root, "history");
    const child = spawn(NODE, [CLI, "--json", "layer", "build", NAME], {
      cwd: root,
      env: { ...process.env, PREBAKE_HISTORY_DIR: history },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    let seen = "";
    let samples = 0;
    const sampler = setInterval(() => {
      seen += visibleNow();
      samples++;
    }, 100);
    const code = await new Promise<number | null>((ok) => child.on("close", ok));
    clearInterval(sampler);

    expect(code, stderr.slice(-2000)).toBe(0);
    expect(requests.authorized).toBeGreaterThan(0); // pip had the credentials...
    expect(seen).toContain("pip"); // ...and the sampler saw pip running
    expect(samples).toBeGreaterThan(3);
    expect(seen).not.toContain(CANARY);
    expect(stdout).not.toContain(CANARY);
    expect(stderr).not.toContain(CANARY);
    expect(JSON.parse(stdout)).toMatchObject({ layers: [expect.objectContaining({ name: NAME })] });
    const recorded = await bytesUnder(history);
    expect(recorded).toContain(NAME); // the run was recorded...
    expect(recorded).not.toContain(CANARY); // ...without the token
    expect(await bytesUnder(join(root, "dist"))).not.toContain(CANARY);
  });
});
