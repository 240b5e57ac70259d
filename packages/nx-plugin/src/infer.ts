import { dirname, join } from "node:path";
import { parse } from "yaml";

/**
 * Pure target inference: given a project file (images/<n>/image.yaml, stacks/<n>/stack.ts,
 * examples/<n>/layer.yaml, examples/<n>/rebar.config, packages/<n>/package.json), return the Nx
 * project it defines. Every target calls the `prebake` CLI, so users can run the same thing by hand.
 */
export interface InferredTarget {
  command: string;
  cache: boolean;
  dependsOn?: string[];
  inputs?: string[];
  outputs?: string[];
  description: string;
}

export interface InferredProject {
  root: string;
  name: string;
  tags: string[];
  implicitDependencies: string[];
  targets: Record<string, InferredTarget>;
}

const cli = (args: string) => `prebake ${args}`;

/** What a rendered stack depends on: its source, the shared stack helpers, the renderer, and the
 * image definitions (the IAM policies name their repositories). */
const STACK_SOURCES = [
  "{projectRoot}/stack.ts",
  "{workspaceRoot}/stacks/*.ts",
  "{workspaceRoot}/images/*/image.yaml",
  "{workspaceRoot}/packages/stack/src/**/*.ts",
];

/** The ordering metadata a rendered stack carries (see packages/stack): images it uses, stacks before it. */
export function readStackOrdering(stackYamlText: string): { images: string[]; after: string[] } {
  // Unknown CloudFormation tags (!Ref, !Sub...) are irrelevant here: keep their values as plain data.
  const doc = parse(stackYamlText, { customTags: (tags) => tags, logLevel: "silent" }) as {
    Metadata?: { Prebake?: { Images?: string[]; After?: string[] } };
  } | null;
  const meta = doc?.Metadata?.Prebake;
  return { images: meta?.Images ?? [], after: meta?.After ?? [] };
}

export function inferProject(
  file: string,
  readText: (path: string) => string | undefined,
): InferredProject | undefined {
  const root = dirname(file);
  const [kind, name] = root.split("/");
  const base = file.slice(root.length + 1);
  if (!name) return undefined;

  if (kind === "images" && base === "image.yaml") {
    const inputs = ["{projectRoot}/**/*"];
    return {
      root,
      name,
      tags: ["type:image"],
      implicitDependencies: [],
      targets: {
        "build-image": {
          command: cli(`build-image ${name}`),
          cache: false, // it changes the Docker engine; prebake's content hash makes a rerun a no-op
          inputs,
          description: `Build the ${name} image in the local Docker engine (skipped when its content hash is built)`,
        },
        push: {
          command: cli(`push ${name}`),
          cache: false,
          inputs,
          description: `Build if needed and push ${name} to the registry; writes dist/images/${name}-<version>.json`,
        },
        deploy: {
          command: cli(`push ${name}`),
          cache: false,
          description: `Same as push: images deploy before the stacks that use them`,
        },
      },
    };
  }

  if (kind === "stacks" && base === "stack.ts") {
    const rendered = readText(join(root, "stack.yaml"));
    const order = rendered ? readStackOrdering(rendered) : { images: [], after: [] };
    return {
      root,
      name,
      tags: ["type:stack"],
      implicitDependencies: [...order.images, ...order.after],
      targets: {
        render: {
          command: cli(`render ${name}`),
          cache: true,
          inputs: STACK_SOURCES,
          outputs: ["{projectRoot}/stack.yaml"],
          description: `Render stacks/${name}/stack.ts to stack.yaml`,
        },
        check: {
          command: cli(`render ${name} --check`),
          cache: true,
          inputs: [
            "{projectRoot}/stack.ts",
            "{projectRoot}/stack.yaml",
            "{workspaceRoot}/packages/stack/src/**/*.ts",
          ],
          description: `Fail when the committed stack.yaml differs from a fresh render`,
        },
        lint: {
          command: cli(`lint ${name}`),
          cache: true,
          dependsOn: ["render"],
          inputs: ["{projectRoot}/stack.yaml"],
          description: `cfn-lint the rendered template (errors and warnings fail)`,
        },
        deploy: {
          command: cli(`deploy ${name}`),
          cache: false,
          dependsOn: ["lint", "^deploy"],
          description: `Deploy the stack (skipped when template, parameters and tags equal what is deployed)`,
        },
      },
    };
  }

  if (kind === "examples" && base === "layer.yaml") {
    return {
      root,
      name,
      tags: ["type:layer"],
      implicitDependencies: ["python-layer"],
      targets: {
        "build-layer": {
          command: cli(`layer build ${name}`),
          cache: false,
          description: `Build the ${name} Lambda layer in the python-layer image and validate it`,
        },
        "publish-layer": {
          command: cli(`layer publish ${name}`),
          cache: false,
          description: `Build, validate, smoke-test and publish ${name} (skipped when its hash is published)`,
        },
        deploy: {
          command: cli(`layer publish ${name}`),
          cache: false,
          dependsOn: ["^deploy"],
          description: `Same as publish-layer, after the python-layer image is pushed`,
        },
      },
    };
  }

  if (kind === "examples" && base === "rebar.config") {
    return {
      root,
      name,
      tags: ["type:app"],
      implicitDependencies: ["erlang-otp"],
      targets: {
        codebuild: {
          command: cli(`codebuild run --project ci/ErlangAppProject --source .`),
          cache: false,
          description: `Run buildspecs/erlang-app.yml for ${name} in the Erlang image (locally; in CodeBuild with --profile aws)`,
        },
      },
    };
  }

  return undefined;
}
