/**
 * Canaries for the fault tests: a host file (or a secret) with random content that must appear
 * nowhere prebake writes, and a reader of "everything there" that unpacks zips (their entries are
 * deflated, so a raw byte search would miss a leaked file).
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import yauzl from "yauzl";
import type { PrebakeError } from "../src/errors.ts";

export interface HostCanary {
  dir: string;
  path: string;
  content: string;
  remove(): void;
}

/** A file outside any project (think ~/.aws/credentials or /etc/shadow) holding a random marker. */
export function hostCanary(name = "credentials"): HostCanary {
  const dir = mkdtempSync(join(tmpdir(), "prebake-host-canary-"));
  const content = `CANARY-${randomBytes(8).toString("hex")}`;
  const path = join(dir, name);
  writeFileSync(path, `[default]\naws_secret_access_key = ${content}\n`);
  return { dir, path, content, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every entry's bytes of a zip, nested zips unpacked too. */
export function zipContents(zip: Buffer): Promise<string> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
      if (err || !file) return reject(err);
      let all = "";
      file.on("error", reject);
      file.on("end", () => resolve(all));
      file.on("entry", (entry: yauzl.Entry) => {
        all += `${entry.fileName}\n`;
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", reject);
          stream.on("end", async () => {
            const bytes = Buffer.concat(chunks);
            all += entry.fileName.endsWith(".zip") ? await zipContents(bytes) : bytes.toString("latin1");
            file.readEntry();
          });
        });
      });
      file.readEntry();
    }),
  );
}

/** Every byte of every regular file under `dir` (links not followed), zips unpacked. */
export async function bytesUnder(dir: string): Promise<string> {
  let all = "";
  if (!existsSync(dir)) return all; // nothing written there at all
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    all += bytes.toString("latin1");
    if (name.endsWith(".zip")) all += await zipContents(bytes).catch(() => "");
  }
  return all;
}

/**
 * Scratch folders for one test file, each removed after its test; host canaries among them. Call
 * at the top level of the file (it registers an afterEach).
 */
export function scratchFolders(label: string): { dir: () => string; canary: (name?: string) => HostCanary } {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    dir: () => {
      const d = mkdtempSync(join(tmpdir(), label));
      dirs.push(d);
      return d;
    },
    canary: (name) => {
      const c = hostCanary(name);
      dirs.push(c.dir);
      return c;
    },
  };
}

/** The error `p` rejects with, checked to be prebake's error of that class and exit code. */
export async function rejection<E extends PrebakeError>(
  p: Promise<unknown>,
  kind: new (...args: never[]) => E,
  exitCode: number,
): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  expect((err as E).exitCode).toBe(exitCode);
  return err as E;
}
