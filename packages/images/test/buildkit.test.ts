import { describe, expect, it } from "vitest";
import { BuildProgress, chooseBuilder, needsBuildkit } from "../src/build.ts";
import { decodeBuildkitStatus, encodeBuildkitStatus } from "../src/buildkit.ts";
import { parseImageDefinition } from "../src/definition.ts";

/** A BuildKit progress event as the engine sends it: moby.buildkit.trace, a base64 StatusResponse. */
const trace = (status: Parameters<typeof encodeBuildkitStatus>[0]) => ({
  id: "moby.buildkit.trace",
  aux: encodeBuildkitStatus(status) as never,
});

describe("BuildKit's progress stream", () => {
  it("decodes what it encodes: vertexes and their logs", () => {
    const status = decodeBuildkitStatus(
      encodeBuildkitStatus({
        vertexes: [{ digest: "sha256:a", name: "[2/3] RUN make", started: true }],
        logs: [{ vertex: "sha256:a", text: "compiling\n" }],
      }),
    );
    expect(status.vertexes).toEqual([
      {
        digest: "sha256:a",
        name: "[2/3] RUN make",
        cached: false,
        started: true,
        completed: false,
        error: "",
      },
    ]);
    expect(status.logs).toEqual([{ vertex: "sha256:a", text: "compiling\n" }]);
  });

  it("names BuildKit's steps as the classic builder's, and keeps each step's own output", () => {
    const steps: string[] = [];
    const p = new BuildProgress((s) => steps.push(s));
    p.feed(
      trace({
        vertexes: [{ digest: "i", name: "[internal] load build definition from Dockerfile", started: true }],
      }),
    );
    p.feed(trace({ vertexes: [{ digest: "a", name: "[stage-0 2/3] RUN make   all", started: true }] }));
    p.feed(trace({ vertexes: [{ digest: "b", name: "[build 4/9] RUN ./configure", started: true }] }));
    p.feed(
      trace({
        logs: [
          { vertex: "a", text: "make: ok\r\n" },
          { vertex: "b", text: "checking gcc\n" },
        ],
      }),
    );
    p.feed(
      trace({
        vertexes: [
          {
            digest: "a",
            name: "[stage-0 2/3] RUN make   all",
            started: true,
            completed: true,
            error: "exit code: 2",
          },
        ],
      }),
    );
    p.feed({ id: "moby.image.id", aux: { ID: "sha256:img" } });
    expect(steps).toEqual([
      "Step 2/3 : RUN make all",
      "Step 4/9 (stage build) : RUN ./configure",
      "Step 2/3 : RUN make all",
    ]);
    // The failing step is the one a failure names, with its output, not the other stage's.
    expect(p.step).toBe("Step 2/3 : RUN make all");
    expect(p.lastLines()).toEqual(["make: ok"]);
    expect(p.imageId).toBe("sha256:img");
  });

  it("names a step taken from the cache once, as the classic builder's log does", () => {
    const steps: string[] = [];
    const p = new BuildProgress((s) => steps.push(s));
    const cached = { digest: "c", name: "[2/2] RUN echo hi", cached: true, started: true, completed: true };
    p.feed(
      trace({
        vertexes: [{ digest: "f", name: "[1/2] FROM base", cached: true, started: true, completed: true }],
      }),
    );
    p.feed(trace({ vertexes: [cached] }));
    p.feed(trace({ vertexes: [cached] }));
    expect(steps).toEqual(["Step 1/2 : FROM base (cached)", "Step 2/2 : RUN echo hi (cached)"]);
  });

  it("a Dockerfile with RUN --mount needs BuildKit; one without does not", () => {
    expect(needsBuildkit("FROM x\nRUN --mount=type=cache,target=/c make\n")).toBe(true);
    expect(needsBuildkit("FROM x\nRUN --network=host --mount=type=secret,id=t make\n")).toBe(true);
    expect(needsBuildkit("FROM x\nRUN echo --mount=nothing\n")).toBe(false);
  });

  it("PREBAKE_BUILDER chooses the builder by hand; anything else is exit 3 naming it", async () => {
    const noEngine = {} as never; // never asked: the variable decides
    expect(await chooseBuilder(noEngine, { PREBAKE_BUILDER: "legacy" })).toBe("legacy");
    expect(await chooseBuilder(noEngine, { PREBAKE_BUILDER: "buildkit" })).toBe("buildkit");
    await expect(chooseBuilder(noEngine, { PREBAKE_BUILDER: "kaniko" })).rejects.toMatchObject({
      exitCode: 3,
      where: "PREBAKE_BUILDER",
    });
  });
});

describe("image.yaml secrets", () => {
  const yaml = (secrets: string) => `name: x
repository: prebake/x
defaultVersion: "1"
base: { local: prebake/debian:bookworm }
versions: { "1": {} }
${secrets}`;
  const parse = (text: string) =>
    parseImageDefinition(
      text,
      "images/x/image.yaml",
      `${import.meta.dirname}/../../../images/python-layer`,
      "x",
    );

  it("each names where its value comes from at build time: an environment variable or a file", () => {
    const def = parse(yaml("secrets:\n  apt_auth: { env: APT_AUTH }\n  token: { file: .secrets/token }\n"));
    expect(def.secrets).toEqual({ apt_auth: { env: "APT_AUTH" }, token: { file: ".secrets/token" } });
    expect(parse(yaml("")).secrets).toEqual({});
  });

  it("a secret with its value written in image.yaml, or both sources, is refused with the field", () => {
    const refused = expect.objectContaining({
      where: expect.stringMatching(/^images\/x\/image\.yaml:\d+:\d+$/),
      message: expect.stringContaining("secrets.token: must be { env: VARIABLE } or { file: path }"),
    });
    expect(() => parse(yaml("secrets:\n  token: hunter2\n"))).toThrow(refused);
    expect(() => parse(yaml("secrets:\n  token: { env: A, file: b }\n"))).toThrow(refused);
  });
});
