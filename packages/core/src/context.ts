import type Docker from "dockerode";
import { createAwsClient } from "./aws.ts";
import { type LoadConfigOptions, loadConfig, type PrebakeConfig } from "./config.ts";
import { createDockerClient } from "./docker.ts";
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
}

export function createContext(options: LoadConfigOptions & OutputOptions = {}): Context {
  const config = loadConfig(options);
  // History lines name the environment; until environments exist it is the profile's name.
  const out = new Output({
    history: {
      dir: historyDir(config.rootDir),
      rootDir: config.rootDir,
      profile: config.profile.name,
      environment: config.profile.name,
    },
    ...options,
  });
  const clients = new Map<unknown, unknown>();
  let docker: Docker | undefined;
  return {
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
  };
}
