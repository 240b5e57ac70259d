/**
 * `npm run bundle`: prebake's CLI as one JavaScript file that runs with Node alone
 * (dist/cli/prebake.mjs, for other repositories), and split into chunks for this one
 * (dist/cli/split/, what bin/prebake.js runs), bundled with rolldown. `--entry layer` bundles the layer commands only
 * (what the python-layer image carries); `--out` writes elsewhere.
 *
 *   node packages/cli/bundle/bundle.ts                        dist/cli/prebake.mjs
 *   node packages/cli/bundle/bundle.ts --entry layer --out images/python-layer/prebake/prebake.mjs
 *
 * Nothing is rebuilt when the files the bundle was built from are unchanged (bin/fresh-bundle.js),
 * and the same inputs give the same bytes (the python-layer image's content hash covers them).
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { inputsRecordOf, isBundleFresh, stampOf } from "../bin/fresh-bundle.js";

const repo = resolve(import.meta.dirname, "../../..");

/** What can be bundled: the whole CLI, or the layer commands alone. */
export const ENTRIES = {
  cli: "packages/cli/src/main.ts",
  layer: "packages/cli/src/layer-main.ts",
} as const;
export type Entry = keyof typeof ENTRIES;

export const DEFAULT_OUT: Record<Entry, string> = {
  cli: "dist/cli/prebake.mjs",
  layer: "dist/cli/prebake-layer.mjs",
};

/**
 * The first lines of the bundle. Bundled CommonJS modules (ssh2, grpc-js) read __dirname and
 * __filename, which an ES module does not have: they name the bundle.
 */
const BANNER = "#!/usr/bin/env node\nvar __filename = import.meta.filename, __dirname = import.meta.dirname;";

/**
 * Optional native addons (ssh2's crypto, cpu-features) cannot be in a JavaScript file. Their
 * packages load them in a try/catch and fall back to JavaScript, so the bundle gets a module
 * that throws, as when the addon was never compiled.
 */
const nativeAddons = {
  name: "prebake:native-addons",
  resolveId(source: string) {
    return source.endsWith(".node") ? { id: `\0native-addon:${source}` } : undefined;
  },
  load(id: string) {
    return id.startsWith("\0native-addon:")
      ? `throw new Error(${JSON.stringify(`${id.slice(14)}: native addon not bundled`)});`
      : undefined;
  },
};

/**
 * core loads dockerode on first use with `createRequire(import.meta.url)("dockerode")` (a sync
 * API, and 0.3 s a command without Docker does not pay). Written as `require(...)`, the bundler
 * includes the module and still runs it on that first call, not at start-up.
 */
const lazyRequire = {
  name: "prebake:lazy-require",
  transform(code: string) {
    return code.includes("createRequire(import.meta.url)(")
      ? code.replaceAll("createRequire(import.meta.url)(", "require(")
      : undefined;
  },
};

/**
 * @aws-cdk/aws-service-spec (the CloudFormation resource database the change review reads) loads
 * db.json.gz from beside its package with readFile, which a bundle does not have. The bundle
 * carries the file's bytes instead, so the one file still runs alone; a changed package that no
 * longer reads it this way fails the bundle here, not a deploy review later.
 */
const SERVICE_SPEC_MODULE = join("@aws-cdk", "aws-service-spec", "lib", "index.js");
const SERVICE_SPEC_READS = [
  "node_fs_1.promises.readFile(DB_PATH)",
  "(0, node_fs_1.readFileSync)(DB_PATH)",
] as const;
const embeddedServiceSpec = {
  name: "prebake:embedded-service-spec",
  transform(code: string, id: string) {
    if (!id.endsWith(SERVICE_SPEC_MODULE)) return undefined;
    if (!SERVICE_SPEC_READS.every((read) => code.includes(read))) {
      throw new Error(`${id}: does not read db.json.gz as bundle.ts expects (update embeddedServiceSpec)`);
    }
    const bytes = readFileSync(join(dirname(id), "..", "db.json.gz")).toString("base64");
    return code
      .replace(SERVICE_SPEC_READS[0], "Promise.resolve(embeddedDatabase())")
      .replace(SERVICE_SPEC_READS[1], "embeddedDatabase()")
      .concat(`\nfunction embeddedDatabase() { return Buffer.from("${bytes}", "base64"); }\n`);
  },
};

export interface BundleResult {
  out: string;
  built: boolean;
  bytes: number;
  sha256: string;
  modules: number;
  durationMs: number;
}

/** The files a bundle came from, as the freshness record keeps them (see bin/fresh-bundle.js). */
function inputsOf(moduleIds: string[]): Record<string, string> {
  const paths = new Set<string>([
    "packages/cli/bundle/bundle.ts",
    "packages/cli/bin/fresh-bundle.js",
    "node_modules/.package-lock.json",
  ]);
  for (const id of moduleIds) {
    if (id.startsWith("\0") || !isAbsolute(id)) continue;
    const rel = relative(repo, id);
    if (rel.startsWith("..")) continue;
    if (!rel.split("/").includes("node_modules")) paths.add(rel);
  }
  return Object.fromEntries([...paths].sort().map((p) => [p, stampOf(join(repo, p))]));
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * The in-repository CLI as an entry and chunks (dist/cli/split/): bin/prebake.js runs it when it is
 * fresh. `--help` then reads 100 KB instead of the whole 4.6 MB file (twice Node's bare start-up
 * instead of four times); a command reads the chunks of its own packages.
 */
export const SPLIT_OUT = "dist/cli/split/prebake.mjs";

const OUTPUT = {
  format: "esm",
  banner: BANNER,
  // Less to read and compile at every start (4.6 MB instead of 9 for the whole CLI); names are
  // kept so a --verbose stack trace still says which function failed.
  minify: { mangle: { keepNames: true }, compress: { keepNames: { function: true, class: true } } },
  comments: { legal: true, annotation: false, jsdoc: false },
} as const;

/**
 * Bundle `entry` into `out`, unless it is fresh and `force` is not set. The default places are in
 * this repository's dist/cli; a given `out` is relative to the working folder (an image's context
 * in another project folder). The whole CLI at its default place also writes the split build
 * beside it, from the same graph.
 */
export async function bundle(entry: Entry, out?: string, force = false): Promise<BundleResult> {
  const started = performance.now();
  const file = out ? resolve(out) : resolve(repo, DEFAULT_OUT[entry]);
  const split = entry === "cli" && !out ? resolve(repo, SPLIT_OUT) : undefined;
  if (!force && isBundleFresh(file, repo) && (!split || isBundleFresh(split, repo))) {
    const code = readFileSync(file);
    return {
      out: relative(process.cwd(), file),
      built: false,
      bytes: code.length,
      sha256: sha256(code),
      modules: Object.keys(JSON.parse(readFileSync(inputsRecordOf(file), "utf8")).inputs).length,
      durationMs: performance.now() - started,
    };
  }
  // Loaded only to build: npm start checks freshness on every run, and rolldown's native
  // binding costs about 80 ms to load.
  const { rolldown } = await import("rolldown");
  const build = await rolldown({
    input: join(repo, ENTRIES[entry]),
    cwd: repo,
    platform: "node",
    logLevel: "warn",
    plugins: [nativeAddons, lazyRequire, embeddedServiceSpec],
    // A module wrapper written as `(() => {...})` is compiled by V8 eagerly (it looks invoked at
    // once): every module of the bundle, at every start, although most never run. Plain
    // functions are compiled when they first run: --help compiles the CLI, not the AWS SDK.
    optimization: { pifeForModuleWrappers: false },
  });
  // One file: a dynamic import() becomes a module initialised on first use, not a chunk.
  const { output } = await build.generate({ ...OUTPUT, codeSplitting: false });
  const chunk = output[0];
  const inputs = inputsOf(chunk.moduleIds);
  writeBundle(file, [{ fileName: basename(file), code: chunk.code }], inputs);
  if (split) {
    const { output: parts } = await build.generate({
      ...OUTPUT,
      entryFileNames: basename(split),
      chunkFileNames: "chunks/[name]-[hash].mjs",
    });
    writeBundle(
      split,
      parts.flatMap((p) => (p.type === "chunk" ? [{ fileName: p.fileName, code: p.code }] : [])),
      inputs,
    );
  }
  await build.close();
  return {
    out: relative(process.cwd(), file),
    built: true,
    bytes: Buffer.byteLength(chunk.code),
    sha256: sha256(chunk.code),
    modules: chunk.moduleIds.length,
    durationMs: performance.now() - started,
  };
}

/**
 * Write a bundle's files beside `entry`: the chunks first (their names carry their content's hash,
 * so no file a running prebake may still import is changed), then the entry, then its freshness
 * record, each renamed into place, so a prebake starting meanwhile runs the old build or the new one.
 * Chunks no build has written for a day are removed.
 */
function writeBundle(
  entry: string,
  files: { fileName: string; code: string }[],
  inputs: Record<string, string>,
) {
  const dir = dirname(entry);
  const write = (path: string, text: string, mode: number) => {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, path);
  };
  const chunks = files.filter((f) => f.fileName !== basename(entry));
  for (const f of chunks) {
    const path = join(dir, f.fileName);
    if (existsSync(path)) utimesSync(path, new Date(), new Date());
    else write(path, f.code, 0o644);
  }
  write(entry, files.find((f) => f.fileName === basename(entry))!.code, 0o755);
  write(inputsRecordOf(entry), `${JSON.stringify({ bundle: stampOf(entry), inputs }, null, 1)}\n`, 0o644);
  const written = new Set(chunks.map((f) => join(dir, f.fileName)));
  const chunkDir = join(dir, "chunks");
  if (!existsSync(chunkDir)) return;
  for (const name of readdirSync(chunkDir)) {
    const path = join(chunkDir, name);
    if (!written.has(path) && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      entry: { type: "string", default: "cli" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  const entry = values.entry as Entry;
  if (!(entry in ENTRIES)) {
    process.stderr.write(
      `bundle: error: --entry: '${entry}' is not one of ${Object.keys(ENTRIES).join(", ")}\n`,
    );
    process.exit(2);
  }
  const r = await bundle(entry, values.out, values.force);
  process.stderr.write(
    `bundle: ${r.out}: ${r.built ? "built" : "up to date"} (${(r.bytes / 1e6).toFixed(1)} MB, ` +
      `${r.modules} modules, sha256 ${r.sha256.slice(0, 12)}, ${Math.round(r.durationMs)} ms)\n`,
  );
}
