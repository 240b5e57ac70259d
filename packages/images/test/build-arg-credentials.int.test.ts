/**
 * A mirror URL with credentials given as a build arg (`--build-arg MIRROR_URL=https://user:token@...`)
 * never reaches an image: the engine would keep it in the history of every RUN that sees the arg,
 * and the Dockerfile's LABEL copies it (as erlang-otp's otp-source label does). The secret canary
 * must appear nowhere: stdout, stderr, --json, the run history, or any image's labels and history.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bytesUnder } from "../../core/test/canary.ts";
import { cleanup, makeRoot, runCli, suffix, type TestRoot, testContext, writeTinyImage } from "./fixtures.ts";

const id = suffix();
const NAME = `bac-${id}`;
const REPO = `prebake-test/bac-${id}`;
const CANARY = `CANARY${randomBytes(8).toString("hex")}`;
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);

writeTinyImage(t, NAME, {
  repository: REPO,
  dockerfile: `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG MIRROR_URL
RUN echo "would fetch from the mirror" > /fetched
LABEL dev.prebake.test.source="\${MIRROR_URL}"
`,
});
afterAll(async () => {
  await cleanup(t, ctx);
});

/** Every label and history line of every local image of the test's repository. */
function imagesOfRepository(): string {
  const ids = spawnSync("docker", ["images", "-q", "--no-trunc", `*/${REPO}`], {
    encoding: "utf8",
  }).stdout.trim();
  if (!ids) return "";
  let all = "";
  for (const image of new Set(ids.split("\n"))) {
    all += spawnSync("docker", ["image", "inspect", image], { encoding: "utf8" }).stdout;
    all += spawnSync("docker", ["history", "--no-trunc", image], { encoding: "utf8" }).stdout;
  }
  return all;
}

describe("a build arg with URL credentials", () => {
  it("is refused with exit 3 before anything is built; the canary is in no output, record, label or history", async () => {
    const history = join(t.root, "history");
    const r = runCli(
      t.root,
      [
        "--json",
        "build-image",
        NAME,
        "--build-arg",
        `MIRROR_URL=https://mirror:${CANARY}@127.0.0.1:9/otp.tar.gz`,
      ],
      { PREBAKE_HISTORY_DIR: history },
    );
    const images = imagesOfRepository();
    expect(images).not.toContain(CANARY);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(await bytesUnder(history)).not.toContain(CANARY);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n").pop()).toBe(
      "prebake: error: --build-arg MIRROR_URL: https://127.0.0.1:9/otp.tar.gz carries credentials (user:token@), which the image would keep in its history or labels " +
        "(fix: drop them from the URL and give the build the credentials as a build secret (image.yaml secrets:, mounted by the step that downloads))",
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { exitCode: 3, where: "--build-arg MIRROR_URL" } });
    expect(images).toBe(""); // nothing was built
  });
});
