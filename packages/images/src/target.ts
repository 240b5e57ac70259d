import { ECRClient } from "@aws-sdk/client-ecr";
import type { Context } from "@prebake/core";
import { ecrLogin } from "./ecr-login.ts";
import type { RegistryAuth } from "./push.ts";
import { EcrRegistry, HttpRegistry, type RegistryApi } from "./registry.ts";

/**
 * Where images go in this profile. The same path in both profiles: the engine pushes to `address`,
 * the registry's HTTP API (at `address`, with the same credentials) answers lookups and moves the
 * moving tags, and `ecr` is the ECR API's view of the repository (what the lifecycle check and the
 * in-use scan read). Locally the emulator only learns of a push through `ecr.putManifest`; on AWS
 * the push already put the image there and the same PutImage is answered "already exists".
 */
export interface RegistryTarget {
  /** The registry host written in image URIs (dist/images, stack parameters). */
  host: string;
  /** Where this machine reaches it: `host`, or in the aws profile `ecrRegistry` when set. */
  address: string;
  api: RegistryApi;
  ecr: EcrRegistry;
  /** For the engine (push, pull, build) and the HTTP API. In memory only: never printed or written. */
  auth: RegistryAuth | undefined;
}

export async function resolveRegistry(ctx: Context): Promise<RegistryTarget> {
  const { profile } = ctx.config;
  const ecr = ctx.aws(ECRClient);
  if (profile.kind === "local") {
    const host = profile.registry!;
    return {
      host,
      address: host,
      api: new HttpRegistry(host),
      ecr: new EcrRegistry(host, ecr, profile),
      auth: undefined,
    };
  }
  const login = await ecrLogin(ecr, profile);
  const host = new URL(login.proxyEndpoint).host;
  const address = profile.ecrRegistry ?? host;
  const auth = { username: login.username, password: login.password, serveraddress: address };
  const mapped = profile.ecrRegistry ? ` (profiles.${profile.name}.ecrRegistry for ${host})` : "";
  return {
    host,
    address,
    api: new HttpRegistry(address, {
      scheme: registryScheme(address),
      auth,
      hints: {
        unreachable: `check network access to ${address}${mapped}`,
        refused: `the registry at ${address}${mapped} refused ECR's token: refresh your AWS credentials (the role needs ecr:GetAuthorizationToken and ECR push and pull permissions)${profile.ecrRegistry ? ", and check that ecrRegistry points to a registry that accepts ECR's token" : ""}`,
      },
    }),
    ecr: new EcrRegistry(host, ecr, profile),
    auth,
  };
}

/**
 * Docker's rule for plain HTTP: the engine reaches a registry on loopback (127.0.0.0/8, localhost,
 * ::1) without TLS and every other one over HTTPS; the HTTP API here must reach the same place.
 */
export function registryScheme(address: string): "http" | "https" {
  const host = address.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) ? "http" : "https";
}

/**
 * How this machine's engine reaches an image reference: a reference on the profile's registry host
 * is rewritten to its address (ECR's host mapped by `ecrRegistry`) and carries the credentials;
 * any other registry (a public base image) is reached as named, anonymously.
 */
export function engineReference(
  target: Pick<RegistryTarget, "host" | "address" | "auth">,
  reference: string,
): { reference: string; auth: RegistryAuth | undefined } {
  if (!reference.startsWith(`${target.host}/`)) return { reference, auth: undefined };
  return { reference: `${target.address}${reference.slice(target.host.length)}`, auth: target.auth };
}
