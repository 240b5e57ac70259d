import { resolve } from "node:path";
import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { projectSettings } from "../src/index.ts";

// The repository's own rendered stacks (committed files): what `codebuild run --project` reads.
const repo = resolve(import.meta.dirname, "../../..");

describe("project settings from a rendered stack", () => {
  it("takes the buildspec, the variables (parameter refs resolved) and the image parameter's project", () => {
    const s = projectSettings(repo, "ci/HelloErlangAppProject", "local", { ErlangVersion: "27.3.4.1" });
    expect(s.buildspec).toBe("buildspecs/erlang-app.yml");
    expect(s.env).toEqual({
      ERLANG_VERSION: "27.3.4.1",
      // The shared buildspec builds the app these name.
      PREBAKE_APP_DIR: "apps/hello-erlang",
      PREBAKE_ARTIFACT_NAME: "hello-erlang-release",
    });
    expect(s.privileged).toBe(false);
    // The image project and its local default line; resolveProjectImage asks the registry for it.
    expect(s.imageProject).toEqual({ name: "erlang-otp", version: "27.3.4.1" });
    expect(s.image).toBeUndefined();
    expect(s.imageSource).toBe(
      "stacks/ci/stack.yaml: Metadata.Prebake.ImageParameters.CodeBuildImage (erlang-otp 27.3.4.1)",
    );
  });

  it("an image parameter that is no image project's gives its default, and privileged mode", () => {
    const s = projectSettings(repo, "image-rebuild/RebuildProject", "local");
    expect(s.image).toBe("aws/codebuild/amazonlinux2-x86_64-standard:5.0");
    expect(s.imageSource).toBe("stacks/image-rebuild/stack.yaml: Parameters.RebuildImage");
    expect(s.privileged).toBe(true);
    expect(s.buildspec).toBe("buildspecs/image-rebuild.yml");
  });

  it("an unknown project names the ones there are", () => {
    const err = (() => {
      try {
        projectSettings(repo, "ci/Nope", "local");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.toLine()).toBe(
      "stacks/ci/stack.yaml: no CodeBuild project 'Nope' (fix: use one of: ci/HelloErlangAppProject, ci/LayerBuildProject)",
    );
  });
});
