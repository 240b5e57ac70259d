/**
 * Environments: one deployed copy of the stacks (dev, prod, ...) in a profile, with its own
 * parameters and tags. A profile says where AWS is; an environment says which copy. Images are
 * not per environment: they are built once and promoted between environments by digest.
 *
 * Without --env (or PREBAKE_ENV) prebake works in the profile's implicit environment, named
 * `default`: its stacks keep the names prebake gave them before environments existed
 * (`<project>-<stack>`, outputs in dist/stacks/), so an upgrade orphans no deployed stack.
 * A named environment's stacks are `<project>-<env>-<stack>`, outputs in dist/<env>/stacks/.
 */
import { z } from "zod";
import { ConfigError } from "./errors.ts";

/** The implicit environment's name; reserved, so `--env default` selects it explicitly. */
export const DEFAULT_ENVIRONMENT = "default";

const stackSettingsSchema = z
  .object({
    parameters: z.record(z.string(), z.string()).default({}),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type StackSettings = z.infer<typeof stackSettingsSchema>;
export { stackSettingsSchema };

export const environmentSchema = z
  .object({
    /** The profile the environment lives in (required: an environment is a copy in one place). */
    profile: z.string().min(1),
    /** The AWS account the environment must be deployed to; checked before any change (aws profiles). */
    account: z
      .string()
      .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
      .optional(),
    /** Overrides the profile's region for this environment. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region such as us-east-1")
      .optional(),
    /**
     * A production environment: it must not point at the local emulator, and its images arrive
     * only through `prebake promote` (a deploy keeps the digests it runs).
     */
    protected: z.boolean().default(false),
    /** Tags on every stack of the environment (over the top-level tags). */
    tags: z.record(z.string(), z.string()).default({}),
    /** Per-stack parameters and tags of the environment (over the top-level stacks.<name>). */
    stacks: z.record(z.string(), stackSettingsSchema).default({}),
  })
  .strict();

export type EnvironmentConfig = z.infer<typeof environmentSchema>;

/** Environment names become part of stack names (letters, digits, hyphens) and of dist/<env>/. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Folders under dist/ that are not environments. */
const DIST_FOLDERS = ["images", "layers", "stacks"];

export const environmentsSchema = z.record(z.string(), environmentSchema).default({});

/** Why a name cannot be an environment's (it becomes part of stack names and of dist/<env>/), or undefined. */
export function environmentNameProblem(name: string): string | undefined {
  if (!ENVIRONMENT_NAME.test(name) || name.length > 20) {
    return "environment names are lowercase letters, digits and single hyphens, at most 20 characters";
  }
  if (name === DEFAULT_ENVIRONMENT) return "'default' is the name of the profile's implicit environment";
  if (DIST_FOLDERS.includes(name)) {
    return `an environment's outputs go to dist/<env>/, so ${DIST_FOLDERS.join(", ")} are taken`;
  }
  return undefined;
}

/** The environment a command works in. */
export interface ResolvedEnvironment {
  /** `default` for the profile's implicit environment. */
  name: string;
  /** The implicit environment: stack names and outputs as before environments existed. */
  implicit: boolean;
  protected: boolean;
  /** The account the environment must be deployed to, when the config says. */
  account: string | undefined;
  tags: Record<string, string>;
  stacks: Record<string, StackSettings>;
}

export const implicitEnvironment = (): ResolvedEnvironment => ({
  name: DEFAULT_ENVIRONMENT,
  implicit: true,
  protected: false,
  account: undefined,
  tags: {},
  stacks: {},
});

/** Where the environment was chosen, for messages: `--env`, `PREBAKE_ENV`. */
export interface EnvironmentChoice {
  name: string;
  source: string;
}

/** --env wins over PREBAKE_ENV; neither means the implicit environment. */
export function chooseEnvironment(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
): EnvironmentChoice | undefined {
  if (option) return { name: option, source: "--env" };
  if (env.PREBAKE_ENV) return { name: env.PREBAKE_ENV, source: "PREBAKE_ENV" };
  return undefined;
}

/** The named environment's entry, or one ConfigError listing the defined ones. */
export function findEnvironment(
  environments: Record<string, EnvironmentConfig>,
  choice: EnvironmentChoice,
  shownFile: string,
): EnvironmentConfig {
  const entry = environments[choice.name];
  if (entry) return entry;
  const known = Object.keys(environments);
  throw new ConfigError(`unknown environment '${choice.name}'`, {
    where: choice.source,
    fix: known.length
      ? `use one of: ${[...known, DEFAULT_ENVIRONMENT].join(", ")}, or add it under environments: in ${shownFile}`
      : `no environments are defined: add environments.${choice.name} (with its profile) to ${shownFile}`,
  });
}

/** Is this URL the emulator on this machine (loopback), where no production stack belongs? */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function resolvedEnvironment(name: string, entry: EnvironmentConfig): ResolvedEnvironment {
  return {
    name,
    implicit: false,
    protected: entry.protected,
    account: entry.account,
    tags: entry.tags,
    stacks: entry.stacks,
  };
}

/** The environment's part of a stack name and of dist/: none for the implicit one. */
export const environmentSegment = (environment: Pick<ResolvedEnvironment, "name" | "implicit">) =>
  environment.implicit ? undefined : environment.name;
