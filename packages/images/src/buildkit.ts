/**
 * BuildKit through the Docker Engine API: the build session that serves build secrets and
 * registry credentials, and the decoding of BuildKit's progress stream.
 *
 * The engine runs BuildKit for `POST /build?version=2`. What BuildKit needs from the client (a
 * secret a `RUN --mount=type=secret` reads, the credentials to pull a base) it asks for over a
 * session: a gRPC server on a connection the client opens with `POST /session` (HTTP upgraded to
 * h2c), named in the build request. dockerode opens such a session, but serves only registry
 * credentials; this one serves secrets too, so they reach the build without a build arg (build
 * args are recorded in the image history) or a label. The secrets are BuildKit's protocol
 * (moby.buildkit.secrets.v1); the messages are written out below with protobufjs, field numbers
 * as BuildKit's .proto files give them.
 */
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { Context } from "@prebake/core";
import protobuf from "protobufjs";

const PROTO = `
syntax = "proto3";
package prebake.buildkit;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
// moby.buildkit.secrets.v1
message GetSecretRequest { string ID = 1; map<string, string> annotations = 2; }
message GetSecretResponse { bytes data = 1; }
// moby.filesync.v1 (Auth)
message CredentialsRequest { string Host = 1; }
message CredentialsResponse { string Username = 1; string Secret = 2; }
// moby.buildkit.v1 (the StatusResponse the engine sends base64-encoded as moby.buildkit.trace)
message Vertex {
  string digest = 1; repeated string inputs = 2; string name = 3; bool cached = 4;
  Timestamp started = 5; Timestamp completed = 6; string error = 7;
}
message VertexLog { string vertex = 1; Timestamp timestamp = 2; int64 stream = 3; bytes msg = 4; }
message StatusResponse { repeated Vertex vertexes = 1; repeated VertexLog logs = 3; }
`;

const root = protobuf.parse(PROTO).root;
const type = (name: string) => root.lookupType(`prebake.buildkit.${name}`);
const GetSecretRequest = type("GetSecretRequest");
const GetSecretResponse = type("GetSecretResponse");
const CredentialsRequest = type("CredentialsRequest");
const CredentialsResponse = type("CredentialsResponse");
const StatusResponse = type("StatusResponse");

function unary(
  path: string,
  request: protobuf.Type,
  response: protobuf.Type,
): grpc.MethodDefinition<object, object> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: object) => Buffer.from(request.encode(request.fromObject(v)).finish()),
    requestDeserialize: (b: Buffer) => request.toObject(request.decode(b)),
    responseSerialize: (v: object) => Buffer.from(response.encode(response.fromObject(v)).finish()),
    responseDeserialize: (b: Buffer) => response.toObject(response.decode(b)),
  };
}

const GET_SECRET = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const CREDENTIALS = "/moby.filesync.v1.Auth/Credentials";
const secretsService = { GetSecret: unary(GET_SECRET, GetSecretRequest, GetSecretResponse) };
const authService = { Credentials: unary(CREDENTIALS, CredentialsRequest, CredentialsResponse) };

export interface RegistryCredentials {
  username: string;
  password: string;
  serveraddress: string;
}

export interface BuildSession {
  /** The id the build request names (`session=` of POST /build). */
  id: string;
  close(): void;
}

/** The registry host of a serveraddress ("https://x.dkr.ecr...com/" -> "x.dkr.ecr...com"). */
const hostOf = (address: string) => address.replace(/^https?:\/\//, "").replace(/\/.*$/, "");

/**
 * Open a build session on the engine that answers BuildKit's requests for `secrets` (by id) and
 * for `auth`'s registry. A secret not in `secrets` is answered "not found": BuildKit then leaves
 * the mount out, or fails the step when the Dockerfile marks it `required`.
 */
export async function openBuildSession(
  ctx: Context,
  secrets: Record<string, string>,
  auth: RegistryCredentials | undefined,
): Promise<BuildSession> {
  const id = randomUUID();
  const socket = await new Promise<Duplex>((resolve, reject) => {
    ctx.docker().modem.dial(
      {
        method: "POST",
        path: "/session",
        hijack: true,
        headers: {
          Upgrade: "h2c",
          "X-Docker-Expose-Session-Uuid": id,
          "X-Docker-Expose-Session-Name": "prebake",
          // Which gRPC methods this session serves: BuildKit asks only for those.
          "X-Docker-Expose-Session-Grpc-Method": [GET_SECRET, CREDENTIALS],
        },
        statusCodes: { 200: true, 500: "server error" },
      } as never,
      (err: unknown, s: unknown) => (err ? reject(err) : resolve(s as Duplex)),
    );
  });
  const server = new grpc.Server();
  server.addService(secretsService, {
    GetSecret(call: grpc.ServerUnaryCall<{ ID: string }, unknown>, done: grpc.sendUnaryData<unknown>) {
      const value = secrets[call.request.ID];
      if (value === undefined) {
        done({ code: grpc.status.NOT_FOUND, details: `no secret ${call.request.ID}` });
      } else {
        done(null, { data: Buffer.from(value) });
      }
    },
  });
  server.addService(authService, {
    Credentials(call: grpc.ServerUnaryCall<{ Host: string }, unknown>, done: grpc.sendUnaryData<unknown>) {
      // Credentials only for the registry they belong to; any other host is asked anonymously.
      if (auth && hostOf(auth.serveraddress) === call.request.Host) {
        done(null, { Username: auth.username, Secret: auth.password });
      } else {
        done(null, {});
      }
    },
  });
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket);
  return {
    id,
    close() {
      server.forceShutdown();
      socket.destroy();
    },
  };
}

export interface BuildkitVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error: string;
}

export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  logs: { vertex: string; text: string }[];
}

/** One `moby.buildkit.trace` event's aux (base64 StatusResponse), decoded. */
export function decodeBuildkitStatus(base64: string): BuildkitStatus {
  const message = StatusResponse.toObject(StatusResponse.decode(Buffer.from(base64, "base64")), {
    defaults: true,
  }) as {
    vertexes: {
      digest: string;
      name: string;
      cached: boolean;
      started?: object;
      completed?: object;
      error: string;
    }[];
    logs: { vertex: string; msg: Uint8Array }[];
  };
  return {
    vertexes: message.vertexes.map((v) => ({
      digest: v.digest,
      name: v.name,
      cached: v.cached,
      started: v.started !== undefined && v.started !== null,
      completed: v.completed !== undefined && v.completed !== null,
      error: v.error,
    })),
    logs: message.logs.map((l) => ({ vertex: l.vertex, text: Buffer.from(l.msg).toString("utf8") })),
  };
}

/** Encode a status (the tests feed BuildProgress what the engine would send). */
export function encodeBuildkitStatus(status: {
  vertexes?: Partial<BuildkitVertex>[];
  logs?: { vertex: string; text: string }[];
}): string {
  const now = { seconds: Math.floor(Date.now() / 1000), nanos: 0 };
  const message = StatusResponse.fromObject({
    vertexes: (status.vertexes ?? []).map((v) => ({
      digest: v.digest ?? "",
      name: v.name ?? "",
      cached: v.cached ?? false,
      ...(v.started ? { started: now } : {}),
      ...(v.completed ? { completed: now } : {}),
      error: v.error ?? "",
    })),
    logs: (status.logs ?? []).map((l) => ({ vertex: l.vertex, msg: Buffer.from(l.text) })),
  });
  return Buffer.from(StatusResponse.encode(message).finish()).toString("base64");
}
