import type Docker from "dockerode";
import { createAwsClient } from "./aws.ts";
import { type LoadConfigOptions, loadConfig, type PrebakeConfig } from "./config.ts";
import { createDockerClient } from "./docker.ts";
import { DEFAULT_ENVIRONMENT } from "./environments.ts";
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
  /**
   * The same configuration in another environment (`default`: the profile's implicit one), with
   * that environment's profile, region and clients, printing to the same output. `prebake promote`
   * works in two environments at once; the in-use scan reads stacks in every environment.
   */
  forEnvironment(name: string): Context;
}

export function createContext(options: LoadConfigOptions & OutputOptions = {}): Context {
  const config = loadConfig(options);
  // History lines name the environment: a named one by its name, the implicit one by its profile's
  // (as before environments existed, so earlier lines and later ones compare).
  const out = new Output({
    history: {
      dir: historyDir(config.rootDir),
      rootDir: config.rootDir,
      profile: config.profile.name,
      environment: config.environment.implicit ? config.profile.name : config.environment.name,
    },
    ...options,
  });
  return contextFor(config, options, out);
}

function contextFor(config: PrebakeConfig, options: LoadConfigOptions, out: Output): Context {
  const clients = new Map<unknown, unknown>();
  let docker: Docker | undefined;
  const ctx: Context = {
    config,
    out,
    aws(Ctor) {
      if (!clients.has(Ctor)) clients.set(Ctor, createAwsClient(Ctor, config.profile));
      return clients.get(Ctor) as never;
    },
    docker() {
      docker ??= createDockerClient(config.profile);
      return docker;
    },
    forEnvironment(name) {
      if (name === config.environment.name) return ctx;
      // A named environment chooses its own profile; the implicit one keeps the command's.
      const profile = name === DEFAULT_ENVIRONMENT ? options.profile : undefined;
      const next = { ...options, environment: name, profile };
      return contextFor(loadConfig(next), next, out);
    },
  };
  return ctx;
}
