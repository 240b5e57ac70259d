import { type ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { classifyAwsError, type ResolvedProfile, UnavailableError } from "@prebake/core";

/** ECR's registry credentials, decoded from GetAuthorizationToken. In memory only. */
export interface EcrLogin {
  username: string;
  password: string;
  /** `https://<account>.dkr.ecr.<region>.amazonaws.com`: the registry host image URIs name. */
  proxyEndpoint: string;
}

/**
 * Log in to ECR: one GetAuthorizationToken per command that needs the registry.
 *
 * `expiresAt` is deliberately not compared with the clock (see packages/images/README.md, "ECR
 * login"): a token fetched at the start of a command is fresh for as long as ECR allows (12 hours
 * on AWS), so the registry that receives it is the only judge; a laptop's skewed clock would
 * otherwise refuse a valid token, and the emulator hands out tokens that expired in 2015. A token
 * the registry refuses is exit 6, with the fix. Nothing of the token is printed or written.
 */
export async function ecrLogin(ecr: ECRClient, profile: ResolvedProfile): Promise<EcrLogin> {
  const where = "ECR GetAuthorizationToken";
  let data: { authorizationToken?: string; proxyEndpoint?: string } | undefined;
  try {
    data = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0];
  } catch (err) {
    throw classifyAwsError(err, profile, where);
  }
  const fix = "check the region and that the role may call ecr:GetAuthorizationToken";
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new UnavailableError("ECR returned no authorization token", { where, fix });
  }
  const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1 || !URL.canParse(data.proxyEndpoint)) {
    // The message must not quote the token: it is a credential even when malformed.
    throw new UnavailableError("ECR returned a malformed authorization token or endpoint", { where, fix });
  }
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    proxyEndpoint: data.proxyEndpoint,
  };
}
