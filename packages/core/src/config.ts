import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "zod";
import {
  chooseEnvironment,
  DEFAULT_ENVIRONMENT,
  type EnvironmentConfig,
  environmentNameProblem,
  environmentSegment,
  environmentsSchema,
  findEnvironment,
  implicitEnvironment,
  isLoopbackEndpoint,
  type ResolvedEnvironment,
  resolvedEnvironment,
  type StackSettings,
  stackSettingsSchema,
} from "./environments.ts";
import { ConfigError } from "./errors.ts";
import { editorJsonSchema } from "./json-schema.ts";
// Where the local services listen: written once, read here and by scripts/local-env/addresses.sh.
import LOCAL_SERVICES from "./local-services.json" with { type: "json" };
import { CONFIG_FILE_NAME, findRepoRoot, listStacks } from "./paths.ts";
import { parseValidatedYaml } from "./validated-yaml.ts";

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * How long prebake waits before it calls a service unavailable (exit 5). Without deadlines a
 * hung emulator or a black-holed proxy would hang every command forever.
 */
const timeoutsSchema = z
  .object({
    /** Seconds to open a connection to the AWS API. */
    connectSeconds: z.number().positive().optional(),
    /** Seconds one AWS call may take to answer (uploads get more time per byte sent). */
    requestSeconds: z.number().positive().optional(),
    /** Minutes a CloudFormation change set or stack operation may take before deploy stops waiting. */
    stackMinutes: z.number().positive().optional(),
  })
  .strict();

export interface AwsTimeouts {
  connectMs: number;
  requestMs: number;
  /** Deadline of one CloudFormation wait (a change set, a stack create, update or delete). */
  stackMs: number;
}

export const DEFAULT_TIMEOUTS: AwsTimeouts = { connectMs: 10_000, requestMs: 30_000, stackMs: 60 * 60_000 };

function resolveTimeouts(t: z.infer<typeof timeoutsSchema> = {}): AwsTimeouts {
  return {
    connectMs: t.connectSeconds === undefined ? DEFAULT_TIMEOUTS.connectMs : t.connectSeconds * 1000,
    requestMs: t.requestSeconds === undefined ? DEFAULT_TIMEOUTS.requestMs : t.requestSeconds * 1000,
    stackMs: t.stackMinutes === undefined ? DEFAULT_TIMEOUTS.stackMs : t.stackMinutes * 60_000,
  };
}

const profileSchema = z
  .object({
    /** What kind of environment this profile talks to. Defaults to the profile's name when that is local/aws. */
    kind: z.enum(["local", "aws"]).optional(),
    region: z.string().regex(REGION, "must be an AWS region such as us-east-1").optional(),
    /** AWS API endpoint override (the emulator in the local profile). */
    endpoint: z.url().optional(),
    /** Registry host[:port] for the local profile; in the aws profile ECR's host is derived from the account. */
    registry: z.string().min(1).optional(),
    /**
     * aws profile: where this machine reaches ECR's registry (a private mirror or proxy of ECR, or the
     * local stand-in in tests). Image URIs keep ECR's host; pushes, pulls and lookups go here.
     */
    ecrRegistry: z
      .string()
      .regex(
        /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/,
        "must be host[:port], without a scheme or path",
      )
      .optional(),
    /** Docker engine socket; DOCKER_HOST wins when set. */
    dockerSocket: z.string().min(1).optional(),
    /** Static credentials: only for the emulator. The aws profile uses the standard credential chain. */
    credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).optional(),
    /** AWS account id for the local profile (moto's default account). */
    accountId: z
      .string()
      .regex(/^\d{12}$/, "must be a 12-digit AWS account id")
      .optional(),
    timeouts: timeoutsSchema.optional(),
  })
  .strict();

/**
 * The project's own goals, which `prebake report` draws its charts and its targets table against.
 * The defaults are where prebake started: 99 % of builds succeed, a build takes under 5 minutes,
 * a layer zips to under 50 MB (Lambda's direct-upload limit), the builds cost under $1 a month.
 */
const reportTargetsSchema = z
  .object({
    /** Succeeded / finished builds of a project should be above this (0.99: 99 %). */
    successRate: z.number().gt(0).lte(1, "must be a fraction: 0.99 for 99 %").default(0.99),
    /** A successful build's p90 duration should be under this many minutes. */
    buildMinutes: z.number().positive().default(5),
    /** A project's builds should cost under this many USD a month. */
    monthlyUsd: z.number().positive().default(1),
    /** A layer's zip should be under this many MB (1 MB = 1,048,576 bytes). */
    layerZippedMB: z.number().positive().default(50),
  })
  .strict();

/** `prebake report` settings: cost rates, the build frequency the monthly cost is shown for, the targets. */
const reportSchema = z
  .object({
    /** USD per build minute by compute type; overrides (or adds to) the built-in rate table. */
    ratesPerMinute: z
      .record(z.string().regex(/^[A-Z0-9_]+$/, "must be a CodeBuild compute type"), z.number().positive())
      .default({}),
    /** Compute type of builds whose record names none (local runs of a bare --image). */
    defaultComputeType: z.string().default("BUILD_GENERAL1_SMALL"),
    /** The monthly cost is also shown at this many builds per month. */
    buildsPerMonth: z.number().int().positive().default(100),
    targets: reportTargetsSchema.prefault({}),
  })
  .strict();

/**
 * How wide `nx run-many` goes in prebake's batch process (packages/nx-plugin's batch executor).
 * Stack deploys mostly wait on CloudFormation's answers, so they go wider than the work that uses
 * this machine (image builds and pushes, layer builds and publishes, renders). The deploy default
 * is not yet settled by a measurement: docs/benchmarks.md, "Scale", has the first, partial sweep.
 */
export const DEFAULT_DEPLOY_CONCURRENCY = 8;

const concurrencySchema = z
  .object({
    /** Stack deploys at once (default DEFAULT_DEPLOY_CONCURRENCY). */
    deploys: z.number().int().min(1).max(64).default(DEFAULT_DEPLOY_CONCURRENCY),
    /** Every other task at once (default: Nx's NX_PARALLEL, else 3, as Nx runs processes). */
    builds: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export type Concurrency = z.infer<typeof concurrencySchema>;

const fileSchema = z
  .object({
    /** Profile used when neither --profile nor PREBAKE_PROFILE is given. */
    profile: z.string().default("local"),
    /** Prefix for stack names and tags. */
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, "must be lowercase letters, digits and dashes, 2-31 characters")
      .default("prebake"),
    profiles: z.record(z.string(), profileSchema).default({}),
    stacks: z.record(z.string(), stackSettingsSchema).default({}),
    tags: z.record(z.string(), z.string()).default({}),
    report: reportSchema.prefault({}),
    concurrency: concurrencySchema.prefault({}),
    /** Deployed copies of the stacks (dev, prod, ...), each in a profile; see environments.ts. */
    environments: environmentsSchema,
  })
  .strict();

/** The JSON Schema of prebake.config.yaml for editors (schemas/prebake.config.schema.json). */
export const configJsonSchema = () =>
  editorJsonSchema(fileSchema, {
    title: CONFIG_FILE_NAME,
    description:
      "prebake's configuration: profiles, environments, stacks, tags, report, concurrency (README.md, Configuration).",
  });

export type ReportSettings = z.infer<typeof reportSchema>;
export type ReportTargets = z.infer<typeof reportTargetsSchema>;

export type ProfileConfig = z.infer<typeof profileSchema>;

/** Embedded defaults: prebake runs with no config file at all, against the local services. */
export const DEFAULT_PROFILES: Record<string, ProfileConfig> = {
  local: {
    kind: "local",
    region: "us-east-1",
    endpoint: LOCAL_SERVICES.awsEndpoint,
    registry: LOCAL_SERVICES.registry,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    accountId: "123456789012",
  },
  aws: { kind: "aws", region: "us-east-1" },
};

export interface ResolvedProfile {
  name: string;
  kind: "local" | "aws";
  region: string;
  endpoint: string | undefined;
  registry: string | undefined;
  /** aws profile only: the host[:port] ECR's registry host is mapped to (undefined: ECR itself). */
  ecrRegistry?: string | undefined;
  dockerSocket: string | undefined;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  accountId: string | undefined;
  /** Deadlines of AWS calls and CloudFormation waits; DEFAULT_TIMEOUTS when absent. */
  timeouts?: AwsTimeouts;
}

export interface PrebakeConfig {
  rootDir: string;
  /** Absolute path of the config file, or undefined when the embedded defaults are used. */
  configFile: string | undefined;
  project: string;
  profile: ResolvedProfile;
  /** The environment the command works in (the implicit `default` one without --env). */
  environment: ResolvedEnvironment;
  /** Every environment the file defines, by name (the in-use scan names their stacks). */
  environments: Record<string, EnvironmentConfig>;
  stacks: Record<string, StackSettings>;
  tags: Record<string, string>;
  report: ReportSettings;
  /** How many tasks of each kind prebake's Nx batch runs at once (`concurrency:`). */
  concurrency: Concurrency;
}

export interface LoadConfigOptions {
  cwd?: string;
  /** --profile; wins over PREBAKE_PROFILE and the file's `profile`. */
  profile?: string | undefined;
  /** --config: an explicit file. */
  configFile?: string | undefined;
  /** --env; wins over PREBAKE_ENV. `default` (or neither) is the profile's implicit environment. */
  environment?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function parseConfig(
  text: string,
  file: string,
  rootDir: string,
  options: LoadConfigOptions = {},
): PrebakeConfig {
  const env = options.env ?? process.env;
  const shown = relative(rootDir, file) || file;
  const cfg = parseValidatedYaml(
    text,
    shown,
    fileSchema,
    "the fields: @prebake/core's README, packages/core/README.md#prebakeconfigyaml",
  );
  const profiles: Record<string, ProfileConfig> = { ...DEFAULT_PROFILES };
  for (const [name, p] of Object.entries(cfg.profiles)) {
    // A profile in the file is layered over the embedded one of the same name.
    profiles[name] = { ...(DEFAULT_PROFILES[name] ?? {}), ...p };
  }
  checkEnvironments(cfg.environments, profiles, shown);
  const choice = chooseEnvironment(options.environment, env);
  const named = choice && choice.name !== DEFAULT_ENVIRONMENT ? choice : undefined;
  const entry = named && findEnvironment(cfg.environments, named, shown);
  let profileName = options.profile ?? env.PREBAKE_PROFILE ?? cfg.profile;
  if (named && entry) {
    // The environment names its profile; only a contradicting --profile on the same command line is an error.
    if (options.profile && options.profile !== entry.profile) {
      throw new ConfigError(
        `environment '${named.name}' lives in profile '${entry.profile}', not '${options.profile}'`,
        {
          where: "--profile",
          fix: `drop --profile (${named.source} ${named.name} chooses the profile), or change environments.${named.name}.profile in ${shown}`,
        },
      );
    }
    profileName = entry.profile;
  }
  const chosen = profiles[profileName];
  if (!chosen) {
    throw new ConfigError(`unknown profile '${profileName}'`, {
      where: options.profile ? "--profile" : env.PREBAKE_PROFILE ? "PREBAKE_PROFILE" : `${shown}: profile`,
      fix: `use one of: ${Object.keys(profiles).join(", ")}, or add it under profiles:`,
    });
  }
  const profile = resolveProfile(profileName, chosen, env, shown, entry?.region);
  const environment = named && entry ? resolvedEnvironment(named.name, entry) : implicitEnvironment();
  if (entry?.account) profile.accountId = entry.account;
  if (environment.protected && pointsAtEmulator(profile)) {
    throw new ConfigError(
      `protected environment '${environment.name}' points at the local emulator (${profile.endpoint ?? `profile ${profile.name}`})`,
      {
        where: env.PREBAKE_AWS_ENDPOINT
          ? "PREBAKE_AWS_ENDPOINT"
          : `${shown}: environments.${environment.name}`,
        fix: "a protected (production) environment deploys to AWS: give it an aws profile without a local endpoint",
      },
    );
  }
  return {
    rootDir,
    configFile: file,
    project: cfg.project,
    profile,
    environment,
    environments: cfg.environments,
    stacks: cfg.stacks,
    tags: cfg.tags,
    report: cfg.report,
    concurrency: cfg.concurrency,
  };
}

/** What kind a profile entry is: its `kind`, else its name when that is local or aws. */
const profileKind = (name: string, p: ProfileConfig) =>
  p.kind ?? (name === "aws" ? "aws" : name === "local" ? "local" : undefined);

/** The local services (kind local), or an AWS endpoint on this machine: no place for production. */
const pointsAtEmulator = (p: { kind: string | undefined; endpoint: string | undefined }) =>
  p.kind === "local" || isLoopbackEndpoint(p.endpoint);

/**
 * Every environment in the file, selected or not, names a profile that exists, and a protected
 * one does not point at the emulator: a wrong entry fails every command, so it is fixed at once.
 */
function checkEnvironments(
  environments: Record<string, EnvironmentConfig>,
  profiles: Record<string, ProfileConfig>,
  shown: string,
): void {
  for (const [name, entry] of Object.entries(environments)) {
    const nameProblem = environmentNameProblem(name);
    if (nameProblem) {
      throw new ConfigError(`environment '${name}': ${nameProblem}`, {
        where: `${shown}: environments.${name}`,
        fix: "rename it, e.g. dev, staging, prod, eu-prod",
      });
    }
    const profile = profiles[entry.profile];
    if (!profile) {
      throw new ConfigError(`environment '${name}' names profile '${entry.profile}', which does not exist`, {
        where: `${shown}: environments.${name}.profile`,
        fix: `use one of: ${Object.keys(profiles).join(", ")}, or add profiles.${entry.profile}`,
      });
    }
    if (
      entry.protected &&
      pointsAtEmulator({ kind: profileKind(entry.profile, profile), endpoint: profile.endpoint })
    ) {
      throw new ConfigError(
        `protected environment '${name}' points at the local emulator (profile ${entry.profile})`,
        {
          where: `${shown}: environments.${name}.protected`,
          fix: "give a protected (production) environment an aws profile without a local endpoint, or drop protected: true for a local rehearsal",
        },
      );
    }
  }
}

/** A profile entry made concrete: kind, region (the environment's, PREBAKE_REGION, the profile's), overrides. */
function resolveProfile(
  profileName: string,
  chosen: ProfileConfig,
  env: NodeJS.ProcessEnv,
  shown: string,
  environmentRegion: string | undefined,
): ResolvedProfile {
  const kind = profileKind(profileName, chosen);
  if (!kind) {
    throw new ConfigError(`profile '${profileName}' does not say what it talks to`, {
      where: `${shown}: profiles.${profileName}.kind`,
      fix: "set kind: local or kind: aws",
    });
  }
  // An environment's region is part of what the environment is; PREBAKE_REGION overrides the profile's.
  const region = environmentRegion ?? env.PREBAKE_REGION ?? chosen.region;
  if (!region) {
    throw new ConfigError("missing region", {
      where: `${shown}: profiles.${profileName}.region`,
      fix: "set a region such as us-east-1 (or PREBAKE_REGION)",
    });
  }
  const profile: ResolvedProfile = {
    name: profileName,
    kind,
    region,
    endpoint: env.PREBAKE_AWS_ENDPOINT ?? chosen.endpoint,
    ...registriesOf(kind, chosen, env, `${shown}: profiles.${profileName}`),
    dockerSocket: chosen.dockerSocket,
    credentials: kind === "local" ? chosen.credentials : undefined,
    accountId: chosen.accountId,
    timeouts: resolveTimeouts(chosen.timeouts),
  };
  if (kind === "local" && (!profile.endpoint || !profile.registry)) {
    throw new ConfigError("a local profile needs an endpoint and a registry", {
      where: `${shown}: profiles.${profileName}`,
      fix: `set endpoint: ${LOCAL_SERVICES.awsEndpoint} and registry: ${LOCAL_SERVICES.registry}`,
    });
  }
  return profile;
}

/**
 * The CloudFormation name of a stack folder: <project>-<name> (prebake-ci) in the implicit
 * environment, <project>-<env>-<name> (prebake-dev-ci) in a named one.
 */
export const cloudFormationStackName = (project: string, name: string, environment?: string) =>
  environment ? `${project}-${environment}-${name}` : `${project}-${name}`;

/** A stack folder's CloudFormation name in the config's environment. */
export const stackNameIn = (config: Pick<PrebakeConfig, "project" | "environment">, name: string) =>
  cloudFormationStackName(config.project, name, environmentSegment(config.environment));

/**
 * The registry settings of a profile. `registry` (and PREBAKE_REGISTRY, which local-env.sh exports)
 * is the local profile's plain registry; an aws profile never takes it, or `env` for the local
 * services would send pushes carrying ECR's token to it. An aws profile maps ECR's host with
 * `ecrRegistry` instead, which keeps ECR's host in every image URI.
 */
function registriesOf(
  kind: "local" | "aws",
  chosen: ProfileConfig,
  env: NodeJS.ProcessEnv,
  where: string,
): Pick<ResolvedProfile, "registry" | "ecrRegistry"> {
  if (kind === "local") {
    if (chosen.ecrRegistry) {
      throw new ConfigError("ecrRegistry maps ECR's host, which only an aws profile uses", {
        where: `${where}.ecrRegistry`,
        fix: "set registry: <host:port> for a local profile",
      });
    }
    return { registry: env.PREBAKE_REGISTRY ?? chosen.registry, ecrRegistry: undefined };
  }
  if (chosen.registry) {
    throw new ConfigError("an aws profile's registry is ECR, named by the account and region", {
      where: `${where}.registry`,
      fix: "remove registry; to reach ECR through a mirror or a local stand-in, set ecrRegistry: <host:port>",
    });
  }
  return { registry: undefined, ecrRegistry: chosen.ecrRegistry };
}

/**
 * The CloudFormation names the project's stacks can have where this config's profile and region
 * are: every stack folder in the implicit environment and in each environment of the same profile
 * (and region). Whoever must find the project's deployed stacks (the in-use scan) asks for them by
 * these names: an unnamed DescribeStacks needs `Resource: "*"`, which the image-rebuild role lacks.
 */
export function projectStackNames(config: PrebakeConfig): string[] {
  const folders = listStacks(config.rootDir, "source-or-template");
  const environments = Object.entries(config.environments)
    .filter(([, e]) => e.profile === config.profile.name && (!e.region || e.region === config.profile.region))
    .map(([name]) => name);
  const names = [undefined, ...environments].flatMap((env) =>
    folders.map((stack) => cloudFormationStackName(config.project, stack, env)),
  );
  return [...new Set(names)];
}

/** Load and validate prebake.config.yaml (or the embedded defaults when there is none). */
export function loadConfig(options: LoadConfigOptions = {}): PrebakeConfig {
  const rootDir = findRepoRoot(options.cwd);
  const file = options.configFile ?? join(rootDir, CONFIG_FILE_NAME);
  if (!existsSync(file)) {
    if (options.configFile) {
      throw new ConfigError("config file not found", {
        where: options.configFile,
        fix: "check the --config path",
      });
    }
    const cfg = parseConfig("{}", file, rootDir, options);
    return { ...cfg, configFile: undefined };
  }
  return parseConfig(readFileSync(file, "utf8"), file, rootDir, options);
}
