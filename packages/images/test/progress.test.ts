import { describe, expect, it } from "vitest";
import { BuildProgress, splitRef } from "../src/build.ts";
import { isTransientPushError, PushProgress } from "../src/push.ts";
import { manifestSize } from "../src/registry.ts";

describe("build stream", () => {
  it("tracks the step and keeps the last 15 lines of that step's output, split across events", () => {
    const steps: string[] = [];
    const p = new BuildProgress((s) => steps.push(s));
    p.feed({ stream: "Step 1/3 : FROM x\n ---> abc\n" });
    p.feed({ stream: "Step 2/3 : RUN make\n ---> Running in 123\n" });
    for (let i = 1; i <= 20; i++) p.feed({ stream: `out ${i}\n` });
    p.feed({ stream: "partial " });
    p.feed({ stream: "line\n" });
    p.feed({ aux: { ID: "sha256:img" } });
    expect(steps).toEqual(["Step 1/3 : FROM x", "Step 2/3 : RUN make"]);
    expect(p.step).toBe("Step 2/3 : RUN make");
    expect(p.lastLines()).toHaveLength(15);
    expect(p.lastLines().at(-1)).toBe("partial line");
    expect(p.lastLines()[0]).toBe("out 7");
    expect(p.imageId).toBe("sha256:img");
  });

  it("shortens a long multi-line RUN to one line of 120 characters", () => {
    const p = new BuildProgress();
    p.feed({ stream: `Step 9/17 : RUN set -eu;     if true; then ${"x".repeat(200)}\n` });
    expect(p.step).toMatch(/^Step 9\/17 : RUN set -eu; if true; then x+…$/);
    expect(p.step.length).toBeLessThan(140);
  });

  it("strips the colour codes the builder puts around a RUN's stderr", () => {
    const p = new BuildProgress();
    p.feed({ stream: "Step 3/7 : RUN x\n" });
    p.feed({ stream: "\u001b[91mchecksum mismatch\n\u001b[0m" });
    p.feed({ stream: "\u001b[0mRemoving intermediate container f93\n" });
    expect(p.lastLines()).toEqual(["checksum mismatch"]);
  });

  it("splits image references at the tag, not at a registry port", () => {
    expect(splitRef("127.0.0.1:5050/prebake/x:1.0-abc")).toEqual(["127.0.0.1:5050/prebake/x", "1.0-abc"]);
    expect(splitRef("127.0.0.1:5050/prebake/x")).toEqual(["127.0.0.1:5050/prebake/x", "latest"]);
  });
});

describe("push stream", () => {
  it("sums bytes over layers and takes the digest from the aux event", () => {
    const p = new PushProgress();
    p.feed({ status: "Pushing", id: "l1", progressDetail: { current: 500, total: 1000 } });
    p.feed({ status: "Pushing", id: "l2", progressDetail: { current: 0, total: 2000 } });
    expect(p.text()).toBe("pushing 500 B / 3.0 KB");
    p.feed({ status: "Pushed", id: "l1" });
    p.feed({ aux: { Tag: "1.0-abc", Digest: "sha256:d", Size: 1234 } });
    expect(p.text()).toBe("pushing 1.0 KB / 3.0 KB");
    expect(p.digest).toBe("sha256:d");
  });

  it("retries only transient registry errors, never credential errors", () => {
    expect(isTransientPushError("received unexpected HTTP status: 503 Service Unavailable")).toBe(true);
    expect(isTransientPushError("read tcp 127.0.0.1: connection reset by peer")).toBe(true);
    expect(isTransientPushError("unauthorized: authentication required")).toBe(false);
    expect(isTransientPushError("denied: requested access to the resource is denied")).toBe(false);
    expect(isTransientPushError("manifest invalid")).toBe(false);
  });

  it("matches registry status codes where the message gives a status, not any 429 or 503 in it", () => {
    // Retried: statuses as the engine and registries word them, rate limits, the network.
    for (const transient of [
      "received unexpected HTTP status: 502 Bad Gateway",
      "received unexpected HTTP status: 504 Gateway Timeout",
      "toomanyrequests: Rate exceeded",
      "unexpected status code 429 Too Many Requests",
      "error parsing HTTP 429 response body: status 429",
      "Put https://r/v2/x/blobs/uploads/u: dial tcp 127.0.0.1:5050: connect: connection refused",
      "write tcp 127.0.0.1:41234->127.0.0.1:5050: write: broken pipe",
    ]) {
      expect(isTransientPushError(transient), transient).toBe(true);
    }
    // Not retried: the digits are part of a digest, a size, a name or a port, not a status.
    for (const permanent of [
      "blob upload invalid: digest sha256:4290af5029d3 does not match",
      "manifest blob unknown: blob unknown to registry: sha256:00a429b7",
      "manifest invalid: layer size 15032 does not match 15029",
      "name invalid: repository name prebake/tool-429 is not allowed here",
      "received unexpected HTTP status: 500 Internal Server Error",
      "denied: quota of 503 images exceeded",
      "received unexpected HTTP status: 403 Forbidden",
    ]) {
      expect(isTransientPushError(permanent), permanent).toBe(false);
    }
  });

  it("credential refusals are recognised by their words and statuses, not by stray digits", async () => {
    const { isRegistryAuthError } = await import("../src/push.ts");
    expect(isRegistryAuthError("unauthorized: authentication required")).toBe(true);
    expect(isRegistryAuthError("received unexpected HTTP status: 401 Unauthorized")).toBe(true);
    expect(isRegistryAuthError("blob unknown: sha256:ab401cd")).toBe(false);
    expect(isRegistryAuthError("manifest invalid: layer 4031 bytes")).toBe(false);
  });

  it("image size is config plus layers from the manifest", () => {
    const bytes = Buffer.from(JSON.stringify({ config: { size: 10 }, layers: [{ size: 100 }, { size: 5 }] }));
    expect(manifestSize({ bytes, mediaType: "m", digest: "d" })).toBe(115);
  });
});
