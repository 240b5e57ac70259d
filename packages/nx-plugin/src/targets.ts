/**
 * One builder per target. Every target runs one prebake command through the plugin's executor
 * (executors.json), so `nx run-many` can run a whole pipeline in one process, and a user can run
 * the same command by hand (it is in each target's description).
 *
 * Whether a target caches is said here and nowhere else (not in nx.json): only pure targets
 * (render, check, lint) do. Everything else changes the engine, the registry or AWS, and prebake
 * itself makes a repeat a cheap no-op (content hashes, deploy skip).
 */
import type { TargetConfiguration } from "@nx/devkit";
import { appResourceId } from "@prebake/core/names";
import { CHECK_INPUTS, LINT_INPUTS, RENDER_INPUTS, RENDERED_TEMPLATE } from "./inputs.ts";

export const PREBAKE_EXECUTOR = "@prebake/nx-plugin:prebake";

/** The executor's options: the prebake command line, without `prebake`. */
export interface PrebakeExecutorOptions {
  argv: string[];
}

type Settings = Pick<TargetConfiguration, "cache" | "inputs" | "outputs" | "dependsOn">;

/**
 * One configuration per environment of prebake.config.yaml: `nx run-many -t deploy -c dev` runs
 * each deploy as `prebake --env dev ...` (stacks <project>-dev-<stack>, the environment's profile for
 * pushes and layer publishes). A target without the configuration (render, lint) runs as it is.
 */
const perEnvironment = (argv: string[], environments: string[]) =>
  environments.length === 0
    ? {}
    : {
        configurations: Object.fromEntries(
          environments.map((env) => [env, { argv: ["--env", env, ...argv] }]),
        ) as Record<string, PrebakeExecutorOptions>,
      };

function prebake(
  argv: string[],
  description: string,
  settings: Settings & { cache: boolean },
): TargetConfiguration<PrebakeExecutorOptions> {
  return {
    executor: PREBAKE_EXECUTOR,
    options: { argv },
    ...settings,
    metadata: { description: `${description} (prebake ${argv.join(" ")})`, technologies: ["prebake"] },
  };
}

// images/<name>/image.yaml
export const buildImageTarget = (image: string) =>
  prebake(
    ["build-image", image],
    `Build the ${image} image in the local Docker engine (skipped when its content hash is built)`,
    { cache: false },
  );

export const pushTarget = (image: string) =>
  prebake(["push", image], `Build if needed and push ${image}; writes dist/images/${image}-<version>.json`, {
    cache: false,
  });

/** An image's deploy is its push: images deploy before the stacks that use them. */
export const imageDeployTarget = (image: string, environments: string[] = []) => ({
  ...prebake(["push", image], `Same as push`, { cache: false }),
  ...perEnvironment(["push", image], environments),
});

// stacks/<name>/stack.ts
export const renderTarget = (stack: string) =>
  prebake(["render", stack], `Render stacks/${stack}/stack.ts to stack.yaml`, {
    cache: true,
    inputs: RENDER_INPUTS,
    outputs: [RENDERED_TEMPLATE],
  });

export const checkTarget = (stack: string) =>
  prebake(["render", stack, "--check"], `Fail when the committed stack.yaml differs from a fresh render`, {
    cache: true,
    inputs: CHECK_INPUTS,
  });

export const lintTarget = (stack: string) =>
  prebake(["lint", stack], `cfn-lint the rendered template (errors and warnings fail)`, {
    cache: true,
    inputs: LINT_INPUTS,
    dependsOn: ["render"],
  });

/** After its own lint and after the deploy of every image and stack its template names. */
export const stackDeployTarget = (stack: string, environments: string[] = []) => ({
  ...prebake(
    ["deploy", stack],
    `Deploy the stack (skipped when template, parameters and tags equal what is deployed)`,
    { cache: false, dependsOn: ["lint", "^deploy"] },
  ),
  ...perEnvironment(["deploy", stack], environments),
});

// layers/<name>/layer.yaml
export const buildLayerTarget = (layer: string) =>
  prebake(["layer", "build", layer], `Build the ${layer} Lambda layer in the python-layer image`, {
    cache: false,
  });

export const publishLayerTarget = (layer: string) =>
  prebake(
    ["layer", "publish", layer],
    `Build, validate, smoke-test and publish ${layer} (skipped when its hash is published)`,
    { cache: false },
  );

/** A layer's deploy is its publish, after the python-layer image is pushed. */
export const layerDeployTarget = (layer: string, environments: string[] = []) => ({
  ...prebake(["layer", "publish", layer], `Same as publish-layer, after the images it builds in`, {
    cache: false,
    dependsOn: ["^deploy"],
  }),
  ...perEnvironment(["layer", "publish", layer], environments),
});

// apps/<name>/app.yaml or rebar.config
/**
 * The app's own CodeBuild project in stacks/ci (one per app), run locally in its image. After ci's
 * render (cached), so a new app's project is in stacks/ci/stack.yaml before the run reads it.
 */
export const codebuildTarget = (app: string) => {
  const project = `ci/${appResourceId(app)}Project`;
  return prebake(
    ["codebuild", "run", "--project", project, "--source", "."],
    `Run ${app}'s CodeBuild project ${project} locally, in its image (in CodeBuild with --profile aws)`,
    { cache: false, dependsOn: [{ projects: ["ci"], target: "render" }] },
  );
};
