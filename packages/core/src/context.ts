import type Docker from "dockerode";
import { createAwsClient } from "./aws.ts";
import { type LoadConfigOptions, loadConfig, type PrebakeConfig } from "./config.ts";
import { createDockerClient } from "./docker.ts";
import { DEFAULT_ENVIRONMENT } from "./environments.ts";
import { gitRevision } from "./git.ts";
import { historyDir } from "./history.ts";
import { Output, type OutputOptions } from "./output.ts";

/**
 * What every command gets: the validated config, the output, and lazily created clients
 * (so a command that never talks to Docker never needs an engine).
 */
export interface Context {
  config: PrebakeConfig;
  out: Output;
  // biome-ignore lint/suspicious/noExplicitAny: any SDK v3 client constructor
  aws<T>(Ctor: new (config: any) => T): T;
  docker(): Docker;
  /** The checkout's git revision (ContextPool.revisionOf): asked once per pool, a batch shares it. */
  gitRevision(): Promise<string | undefined>;
  /**
   * The same configuration in another environment (`default`: the profile's implicit one), with
   * that environment's profile, region and clients, printing to the same output. `prebake promote`
   * works in two environments at once; the in-use scan reads stacks in every environment.
   */
  forEnvironment(name: string): Context;
}

/** A loaded configuration and the clients made for it: costly to make, safe to share between commands. */
interface Shared {
  config: PrebakeConfig;
  clients: Map<unknown, unknown>;
  docker?: Docker;
}

/**
 * What the commands of one process share: each configuration (per profile, environment and
 * config file) is loaded once, with its AWS and Docker clients. The `prebake` binary runs one
 * command and gets a pool of its own; the Nx batch runner passes one pool to all its commands.
 */
export class ContextPool {
  private readonly shared = new Map<string, Shared>();
  private readonly revisions = new Map<string, Promise<string | undefined>>();

  /**
   * The revision of the checkout at `rootDir` (HEAD, `-dirty` when tracked files changed), which
   * every history line names, asked when first needed and then once per pool. It takes two git
   * processes; a batch of 26 tasks asked it about 50 times, most of 0.3 s of its CPU in process
   * spawns, for one answer. (Image labels ask git about the image's own folder: images/src/release.ts.)
   */
  revisionOf(rootDir: string): Promise<string | undefined> {
    let revision = this.revisions.get(rootDir);
    if (!revision) {
      revision = gitRevision(rootDir);
      this.revisions.set(rootDir, revision);
    }
    return revision;
  }

  /** The configuration these options select and its clients; a configuration error is thrown every time. */
  get(options: LoadConfigOptions): Shared {
    const key = JSON.stringify([
      options.profile ?? null,
      options.environment ?? null,
      options.configFile ?? null,
      options.cwd ?? null,
    ]);
    let entry = this.shared.get(key);
    if (!entry) {
      entry = { config: loadConfig(options), clients: new Map() };
      this.shared.set(key, entry);
    }
    return entry;
  }
}

/**
 * The one way to make a command's context, for the CLI and for the batch runner alike: every
 * command gets its own Output (its --json/--quiet/--verbose, its progress state) with the run
 * history and the masker, over the configuration and clients that `pool` shares.
 */
export function createContext(
  options: LoadConfigOptions & OutputOptions = {},
  pool: ContextPool = new ContextPool(),
): Context {
  const { config } = pool.get(options);
  // History lines name the environment: a named one by its name, the implicit one by its profile's
  // (as before environments existed, so earlier lines and later ones compare).
  const out = new Output({
    history: {
      dir: historyDir(config.rootDir),
      revision: () => pool.revisionOf(config.rootDir),
      profile: config.profile.name,
      environment: config.environment.implicit ? config.profile.name : config.environment.name,
    },
    ...options,
  });
  return contextFor(options, pool, out);
}

function contextFor(options: LoadConfigOptions, pool: ContextPool, out: Output): Context {
  const shared = pool.get(options);
  const { config, clients } = shared;
  const ctx: Context = {
    config,
    out,
    gitRevision: () => pool.revisionOf(config.rootDir),
    aws(Ctor) {
      if (!clients.has(Ctor)) clients.set(Ctor, createAwsClient(Ctor, config.profile));
      return clients.get(Ctor) as never;
    },
    docker() {
      shared.docker ??= createDockerClient(config.profile);
      return shared.docker;
    },
    forEnvironment(name) {
      if (name === config.environment.name) return ctx;
      // A named environment chooses its own profile; the implicit one keeps the command's.
      const profile = name === DEFAULT_ENVIRONMENT ? options.profile : undefined;
      return contextFor({ ...options, environment: name, profile }, pool, out);
    },
  };
  return ctx;
}
