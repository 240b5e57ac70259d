/**
 * The headline figure: the hello-erlang build twice, in one run, with the same buildspec build phase:
 *   baked:    the pushed erlang-otp image; install = `. /usr/local/erlang/activate`
 *   baseline: prebake/debian:bookworm; install compiles Erlang/OTP from source as a kerl
 *             buildspec does (build deps, download, configure, make -j$(nproc), install)
 * Same OTP source (Debian's 27.3.4.1, served from 127.0.0.1), same flags as the image's Dockerfile.
 *
 *   node_modules/.bin/node packages/codebuild/bench/headline.bench.ts
 *
 * Needs: the pushed image (npm start, or prebake push erlang-otp) and the OTP source + rebar3 .deb,
 * downloaded from Debian's archive into .prebake/cache/ when missing.
 *
 * Each run is recorded in .prebake/history/codebuild-local.jsonl with benchmark
 * { name: "headline", variant: "baseline" | "baked" }: `prebake report` draws its before/after.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename, join, resolve } from "node:path";
import { createContext, formatDuration } from "@prebake/core";
import { resolvePushedImage } from "@prebake/images";
import { type LocalBuildResult, parseBuildspec, projectSettings, runLocalBuild } from "../src/index.ts";

const repo = resolve(import.meta.dirname, "../../..");
const cache = join(repo, ".prebake", "cache");
const POOL = "http://deb.debian.org/debian/pool/main";
const SOURCES = [
  {
    file: "erlang_27.3.4.1+dfsg.orig.tar.xz",
    url: `${POOL}/e/erlang/erlang_27.3.4.1+dfsg.orig.tar.xz`,
    sha256: "0834643ef1e17886d5e334a39527d8429bcf50613b86d59d4757466f32984b7e",
  },
  {
    file: "rebar3_3.24.0-1_all.deb",
    url: `${POOL}/r/rebar3/rebar3_3.24.0-1_all.deb`,
    sha256: "d8ceacfb1ebd71ffccc9534a0f7ba14264100e88583c65b74fbf398f925a199e",
  },
];

async function cached(s: (typeof SOURCES)[number]): Promise<string> {
  const path = join(cache, s.file);
  if (!existsSync(path)) {
    mkdirSync(cache, { recursive: true });
    process.stdout.write(`downloading ${s.url}\n`);
    const res = await fetch(s.url);
    if (!res.ok) throw new Error(`${s.url}: HTTP ${res.status}`);
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
  }
  const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
  if (sha !== s.sha256) throw new Error(`${path}: sha256 ${sha}, expected ${s.sha256}`);
  return path;
}

const files = await Promise.all(SOURCES.map(cached));
const server = createServer((req, res) => {
  const file = files.find((f) => `/${basename(f)}` === req.url);
  if (!file) return void res.writeHead(404).end();
  res.writeHead(200);
  createReadStream(file).pipe(res);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as { port: number }).port;

/** The pushed image (registry-confirmed, digest-pinned) or, before a push, the real image's local tag. */
async function bakedImage(): Promise<string> {
  return (await resolvePushedImage(ctx, "erlang-otp", "27.3.4.1"))?.uri ?? "prebake/erlang-otp:real-27";
}
const appSpec = readFileSync(join(repo, "buildspecs/erlang-app.yml"), "utf8");
const appEnv = projectSettings(repo, "ci/HelloErlangAppProject", "local").env;
const buildPhase = appSpec.slice(appSpec.indexOf("  build:"), appSpec.indexOf("  post_build:"));
const [otp, rebar3] = SOURCES;
const compileSpec = `version: 0.2
phases:
  install:
    commands:
      - apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates xz-utils make gcc g++ perl binutils libssl-dev libncurses-dev zlib1g-dev > /dev/null
      - curl -fsS -o /tmp/otp.tar.xz http://127.0.0.1:${port}/${otp!.file}
      - echo "${otp!.sha256}  /tmp/otp.tar.xz" | sha256sum -c -
      - mkdir -p /tmp/otp && tar -xJf /tmp/otp.tar.xz -C /tmp/otp --strip-components=1
      - mkdir -p /tmp/otp/lib/common_test/priv && touch /tmp/otp/lib/common_test/priv/jquery-latest.js /tmp/otp/lib/common_test/priv/jquery.tablesorter.min.js
      - cd /tmp/otp && ./configure --prefix=/usr/local/erlang --without-javac --without-wx --without-odbc --without-debugger --without-observer --without-et > /tmp/configure.log
      - cd /tmp/otp && make -j$(nproc) > /tmp/make.log 2>&1 && make install > /tmp/install.log 2>&1
      - curl -fsS -o /tmp/rebar3.deb http://127.0.0.1:${port}/${rebar3!.file} && mkdir -p /tmp/r && cd /tmp/r && ar x /tmp/rebar3.deb && tar -xf data.tar.* ./usr/bin/rebar3 && install -m 0755 usr/bin/rebar3 /usr/local/erlang/bin/rebar3
      - export PATH=/usr/local/erlang/bin:$PATH
      - erl -noshell -eval 'io:format("Erlang/OTP ~s~n", [erlang:system_info(otp_release)]), halt().'
      - rebar3 version
      - cd "$CODEBUILD_SRC_DIR"
${buildPhase}`;

const { ctx } = { ctx: createContext({ cwd: repo, tty: false, quiet: true, env: {} }) };
async function build(
  label: string,
  variant: "baked" | "baseline",
  image: string,
  text: string,
): Promise<LocalBuildResult> {
  process.stdout.write(`\n== ${label}: ${image}\n`);
  const spec = parseBuildspec(text, `${label}.yml`);
  const r = await runLocalBuild(ctx, {
    image,
    spec,
    sourceDir: repo,
    // Which app the shared buildspec builds: hello-erlang's project says (PREBAKE_APP_DIR).
    env: appEnv,
    project: "headline-bench",
    // The from-source compile took over 60 min (CodeBuild's default) on this 2-core machine under
    // other work's load; the benchmark wants the figure, not CodeBuild's cut-off.
    timeoutMinutes: 180,
    benchmark: { name: "headline", variant },
  });
  // Recorded like any run (Output.result is where runs become history); a failed run the runner
  // recorded itself, with the same benchmark tag.
  ctx.out.result(r);
  for (const p of r.phases)
    process.stdout.write(`  ${p.name.padEnd(16)} ${p.status.padEnd(10)} ${formatDuration(p.durationMs)}\n`);
  process.stdout.write(`  ${"TOTAL".padEnd(16)} ${r.status.padEnd(10)} ${formatDuration(r.durationMs)}\n`);
  return r;
}

try {
  const baked = await build(
    "baked",
    "baked",
    await bakedImage(),
    appSpec.replace(/\nartifacts:[\s\S]*$/, "\n"),
  );
  const compiled = await build("compile-in-install", "baseline", "prebake/debian:bookworm", compileSpec);
  const install = (r: LocalBuildResult) => r.phases.find((p) => p.name === "INSTALL")!.durationMs;
  process.stdout.write(
    `\nvariant              install      total\n` +
      `compile-in-install   ${formatDuration(install(compiled)).padStart(7)}   ${formatDuration(compiled.durationMs).padStart(7)}   (baseline)\n` +
      `baked image          ${formatDuration(install(baked)).padStart(7)}   ${formatDuration(baked.durationMs).padStart(7)}\n` +
      `ratio baked/compile  ${(install(baked) / install(compiled)).toFixed(4)}x   ${(baked.durationMs / compiled.durationMs).toFixed(4)}x\n`,
  );
} finally {
  server.close();
}
