/**
 * The aws profile against local stand-ins: the emulator (moto, 127.0.0.1:5060) for the AWS API,
 * with credentials from the environment the SDK reads, and the ECR stand-in scripts/local-env.sh
 * starts (docker-registry demanding user AWS and the password moto's GetAuthorizationToken hands
 * out). A test root's prebake.config.yaml maps ECR's host to it with `ecrRegistry`; the prebake
 * code under test is the aws profile's, unchanged. Also used by the deploy and layers tests
 * (awsProfileFixture: their root, context, login, base image, image definition and cleanup).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { DeleteRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { type Context, createContext } from "@prebake/core";
import type Docker from "dockerode";
import { pack } from "tar-fs";
import { runCli } from "../../core/test/fault-tools.ts";
import { type TestImage, testImageFiles } from "./image-project.ts";

/** Where local-env.sh's ECR stand-in listens (`scripts/local-env.sh env` exports it). */
export const STANDIN = process.env.PREBAKE_ECR_STANDIN ?? "127.0.0.1:5052";
export const MOTO = "http://127.0.0.1:5060";

/** What the AWS SDK reads from the environment: the aws profile has no static credentials. */
export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
} as const;
Object.assign(process.env, AWS_ENV);
// Nothing of the developer's own AWS setup may steer these tests.
for (const key of ["AWS_PROFILE", "AWS_SESSION_TOKEN", "PREBAKE_PROFILE", "PREBAKE_REGISTRY"])
  delete process.env[key];

/**
 * The real CLI (Node 24) in a root, on the aws profile's environment; asynchronously (core's
 * fault tools), so a proxy in this process keeps answering while it runs.
 */
export const prebake = (root: string, args: string[]) => runCli(root, args, AWS_ENV);

/** The emulator's answer to GetAuthorizationToken, as the tests check it (prebake decodes its own). */
export interface MotoLogin {
  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  host: string;
  username: string;
  password: string;
  /** base64("AWS:<password>"), exactly as handed out: must never be printed either. */
  token: string;
  expiresAt: Date;
}

export async function motoLogin(): Promise<MotoLogin> {
  const ecr = new ECRClient({ endpoint: MOTO, region: AWS_ENV.AWS_REGION });
  const data = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
  const [username, password] = Buffer.from(data.authorizationToken!, "base64").toString("utf8").split(":");
  return {
    host: new URL(data.proxyEndpoint!).host,
    username: username!,
    password: password!,
    token: data.authorizationToken!,
    expiresAt: data.expiresAt!,
  };
}

/** The engine's credentials for a registry demanding the emulator's token. */
export const engineAuth = (login: MotoLogin, address: string) => ({
  username: login.username,
  password: login.password,
  serveraddress: address,
});

/** A throwaway root whose prebake.config.yaml selects the aws profile, on moto, with ECR mapped. */
export function makeAwsRoot(ecrRegistry: string = STANDIN, project = "prebake"): string {
  const root = mkdtempSync(join(tmpdir(), "prebake-aws-int-"));
  writeFileSync(join(root, "nx.json"), "{}\n");
  writeFileSync(
    join(root, "prebake.config.yaml"),
    `profile: aws\nproject: ${project}\nprofiles:\n  aws:\n    region: ${AWS_ENV.AWS_REGION}\n    endpoint: ${MOTO}\n    ecrRegistry: "${ecrRegistry}"\n`,
  );
  return root;
}

/** An aws-profile context on the root (its prebake.config.yaml), with the human output captured. */
export function awsContext(root: string): { ctx: Context; output: () => string } {
  const sink = new PassThrough();
  let text = "";
  sink.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const ctx = createContext({ cwd: root, env: {}, stdout: sink, stderr: sink, tty: false, verbose: false });
  if (ctx.config.profile.kind !== "aws") throw new Error("awsContext: the root's profile is not aws");
  return { ctx, output: () => text };
}

const ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

/** A Registry HTTP API call with basic auth (the test's own view of a registry, not prebake's). */
export function registryFetch(address: string, login: MotoLogin, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Basic ${login.token}`);
  if (!headers.has("accept")) headers.set("accept", ACCEPT);
  return fetch(`http://${address}/v2/${path}`, { ...init, headers });
}

/** The digest a tag (or digest) has in the registry, or null. */
export async function digestIn(address: string, login: MotoLogin, repo: string, tag: string) {
  const res = await registryFetch(address, login, `${repo}/manifests/${tag}`, { method: "HEAD" });
  return res.ok ? res.headers.get("docker-content-digest") : null;
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (e: { error?: string }) => {
        if (e.error) reject(new Error(e.error));
      },
    ),
  );
}

/**
 * Put a base image into a registry under `repo:tag` (what a team keeps in its own ECR): `from` (the
 * local Debian base by default) plus a file with `content`, so different contents give different
 * digests and the image is the test's own. Returns the reference as image.yaml names it: on ECR's host.
 */
export async function pushBaseImage(
  docker: Docker,
  login: MotoLogin,
  address: string,
  repo: string,
  tag: string,
  content: string,
  from = "prebake/debian:bookworm",
): Promise<{ reference: string; digest: string }> {
  const dir = mkdtempSync(join(tmpdir(), "prebake-aws-base-"));
  writeFileSync(join(dir, "Dockerfile"), `FROM ${from}\nCOPY base.txt /base.txt\n`);
  writeFileSync(join(dir, "base.txt"), `${content}\n`);
  const local = `${address}/${repo}:${tag}`;
  try {
    await follow(docker, await docker.buildImage(pack(dir), { t: local }));
    const stream = await docker
      .getImage(`${address}/${repo}`)
      .push({ tag, authconfig: engineAuth(login, address) });
    await follow(docker, stream);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The engine must pull it again through prebake (as on a fresh machine): drop the local name.
  await docker
    .getImage(local)
    .remove({ noprune: false })
    .catch(() => undefined);
  const digest = await digestIn(address, login, repo, tag);
  if (!digest) throw new Error(`pushBaseImage: ${local} is not in the registry`);
  return { reference: `${login.host}/${repo}:${tag}`, digest };
}

/** Remove what a test made: emulator repositories, their manifests in the registry, local images. */
export async function cleanupAws(
  ctx: Context,
  login: MotoLogin,
  address: string,
  repos: string[],
): Promise<void> {
  const docker = ctx.docker();
  for (const repo of new Set(repos)) {
    await ctx
      .aws(ECRClient)
      .send(new DeleteRepositoryCommand({ repositoryName: repo, force: true }))
      .catch(() => undefined);
    const list = (await registryFetch(address, login, `${repo}/tags/list`)
      .then((r) => r.json())
      .catch(() => ({}))) as { tags?: string[] | null };
    for (const tag of list.tags ?? []) {
      const digest = await digestIn(address, login, repo, tag).catch(() => null);
      if (digest) {
        await registryFetch(address, login, `${repo}/manifests/${digest}`, { method: "DELETE" }).catch(
          () => undefined,
        );
      }
    }
    for (const image of await docker.listImages()) {
      const refs = [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])];
      if (refs.some((r) => r.includes(`/${repo}:`) || r.includes(`/${repo}@`))) {
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
  }
}

export interface AwsProfileFixture {
  root: string;
  ctx: Context;
  /** The emulator's login; start() fetched it. */
  readonly login: MotoLogin;
  start(): Promise<void>;
  /** Write a file below the root (its folders made). */
  write(path: string, text: string): void;
  /** pushBaseImage into the stand-in; its repository is removed by cleanup(). */
  pushBase(
    repo: string,
    tag: string,
    content: string,
    from?: string,
  ): Promise<{ reference: string; digest: string }>;
  /** images/<name>/ (see testImageFiles) whose base is in ECR (as pushBase returns it); its repository is removed by cleanup(). */
  writeImage(name: string, image: Omit<TestImage, "base"> & { base: string }): void;
  /** Remove the repositories named above (emulator, registry, engine) and the root. */
  cleanup(): Promise<void>;
}

/** A throwaway aws-profile root on moto and the ECR stand-in, for a test file's beforeAll/afterAll. */
export function awsProfileFixture(project?: string): AwsProfileFixture {
  const root = makeAwsRoot(STANDIN, project);
  const { ctx } = awsContext(root);
  const repos: string[] = [];
  let login: MotoLogin | undefined;
  const fixture: AwsProfileFixture = {
    root,
    ctx,
    get login() {
      if (!login) throw new Error("awsProfileFixture: call start() first");
      return login;
    },
    start: async () => {
      login = await motoLogin();
    },
    write: (path, text) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    pushBase: (repo, tag, content, from) => {
      repos.push(repo);
      return pushBaseImage(ctx.docker(), fixture.login, STANDIN, repo, tag, content, from);
    },
    writeImage: (name, image) => {
      repos.push(image.repository);
      const files = testImageFiles(name, { ...image, base: `{ aws: "${image.base}" }` });
      for (const [path, text] of Object.entries(files)) fixture.write(path, text);
    },
    cleanup: async () => {
      if (login) await cleanupAws(ctx, login, STANDIN, repos);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
