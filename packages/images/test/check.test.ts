import type { PathStat } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { checkReportRows } from "../src/check-cli.ts";
import { findOnPath, indexEntries, lambdaComputeVerdict, pathDirs } from "../src/check-facts.ts";

const stored = (json: object, mediaType: string) => ({
  bytes: Buffer.from(JSON.stringify(json)),
  mediaType,
  digest: "sha256:x",
});

describe("images check: the registry's manifest", () => {
  it("lists an OCI index's platforms, without BuildKit's attestation manifests", () => {
    const index = stored(
      {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          { digest: "sha256:a", platform: { os: "linux", architecture: "amd64" } },
          { digest: "sha256:b", platform: { os: "linux", architecture: "arm64", variant: "v8" } },
          {
            digest: "sha256:c",
            platform: { os: "unknown", architecture: "unknown" },
            annotations: { "vnd.docker.reference.type": "attestation-manifest" },
          },
        ],
      },
      "application/vnd.oci.image.index.v1+json",
    );
    expect(indexEntries(index)).toEqual([
      { digest: "sha256:a", platform: "linux/amd64" },
      { digest: "sha256:b", platform: "linux/arm64/v8" },
    ]);
    const single = stored(
      { schemaVersion: 2, config: { size: 1 }, layers: [] },
      "application/vnd.oci.image.manifest.v1+json",
    );
    expect(indexEntries(single)).toBeUndefined();
  });
});

describe("images check: tools on the image's PATH", () => {
  const file = (mode = 0o755): PathStat => ({ name: "f", size: 1, mode, linkTarget: "" });
  const link = (target: string): PathStat => ({
    name: "l",
    size: 4,
    mode: 2 ** 27 + 0o777,
    linkTarget: target,
  });
  const dir: PathStat = { name: "d", size: 0, mode: 2 ** 31 + 0o755, linkTarget: "" };
  const tree: Record<string, PathStat> = {
    "/usr/bin/sh": link("/usr/bin/dash"),
    "/usr/bin/dash": file(),
    "/usr/local/bin/wget": link("/nonexistent/wget"),
    "/usr/local/bin/git": dir,
    "/usr/bin/git": file(0o644),
    "/bin/curl": file(),
  };
  const stat = async (p: string) => tree[p];
  const dirs = pathDirs(["HOME=/root", "PATH=/usr/local/bin:/usr/bin:/bin"]);

  it("finds the first executable on PATH, following a symlink to its target", async () => {
    expect(dirs).toEqual(["/usr/local/bin", "/usr/bin", "/bin"]);
    expect(await findOnPath("sh", dirs, stat)).toBe("/usr/bin/sh");
    expect(await findOnPath("curl", dirs, stat)).toBe("/bin/curl");
  });

  it("does not count a dangling symlink, a directory or a file that is not executable", async () => {
    expect(await findOnPath("wget", dirs, stat)).toBeUndefined();
    expect(await findOnPath("git", dirs, stat)).toBeUndefined();
  });

  it("uses the usual PATH when the image sets none", () => {
    expect(pathDirs(undefined)).toEqual([
      "/usr/local/sbin",
      "/usr/local/bin",
      "/usr/sbin",
      "/usr/bin",
      "/sbin",
      "/bin",
    ]);
  });
});

describe("images check: the Lambda compute verdict", () => {
  const none = { sh: "/bin/sh", curl: undefined, wget: undefined, git: undefined };
  it("is ready for one architecture with curl or wget", () => {
    expect(lambdaComputeVerdict(["linux/amd64"], { ...none, wget: "/usr/bin/wget" })).toEqual({
      ready: true,
      problems: [],
    });
  });
  it("names every reason it is not", () => {
    expect(lambdaComputeVerdict(["linux/amd64", "linux/arm64"], none)).toEqual({
      ready: false,
      problems: [
        "2 architectures (linux/amd64, linux/arm64): Lambda compute runs single-architecture images only",
        "neither curl nor wget inside: Lambda compute needs one of them",
      ],
    });
  });
  it("prints one row per fact", () => {
    const rows = checkReportRows({
      name: "erlang-otp",
      version: "27.1",
      uri: "127.0.0.1:5050/prebake/erlang-otp@sha256:ab",
      platforms: ["linux/amd64"],
      singleArchitecture: true,
      tools: { ...none, curl: "/usr/bin/curl" },
      compressedBytes: 63_200_000,
      uncompressedBytes: 188_000_000,
      emptyEnginePullMs: 12_345,
      lambdaCompute: { ready: true, problems: [] },
    });
    expect(rows).toEqual([
      ["image", "erlang-otp 27.1 (127.0.0.1:5050/prebake/erlang-otp@sha256:ab)"],
      ["platform", "linux/amd64 (single architecture)"],
      ["tools", "sh: /bin/sh, curl: /usr/bin/curl, wget: missing, git: missing"],
      ["size", "63.2 MB compressed (pulled), 188.0 MB uncompressed"],
      [
        "pull",
        "12.3s into an empty engine (nothing cached: as CodeBuild's PROVISIONING pulls a custom image)",
      ],
    ]);
  });
});
