/**
 * The main job's figure: a second, no-op `nx run-many -t deploy` against the first, in one run.
 *
 *   node_modules/.bin/node scripts/bench-pipeline.ts [--runs 5] [--reset-stacks]
 *
 * Run 1 is whatever the current state makes it (on a fresh machine: the Erlang/OTP compile,
 * image pushes, stack creation); with --reset-stacks both stacks are deleted from the local
 * emulator first, so run 1 creates them. Runs 2..N change nothing and show what "skipped" costs. Each
 * run is a fresh `nx` process with the Nx daemon off (as in CI), so process start-up counts.
 * Nx's cache never serves deploy (cache: false), so a no-op still runs every deploy task.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
// node_modules/.bin first, as npm scripts have it: nx and prebake must run on the pinned Node 24.
const env = {
  ...process.env,
  PATH: `${resolve(repo, "node_modules/.bin")}:${process.env.PATH}`,
  NX_DAEMON: "false",
  NX_NO_CLOUD: "true",
  NX_TUI: "false",
  CI: "true",
};

function timeDeploy(): number {
  const started = performance.now();
  const r = spawnSync(
    resolve(repo, "node_modules/.bin/nx"),
    ["run-many", "-t", "deploy", "--outputStyle=stream"],
    {
      cwd: repo,
      env,
      encoding: "utf8",
    },
  );
  const ms = performance.now() - started;
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`nx run-many -t deploy failed (exit ${r.status})`);
  }
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

if (process.argv.includes("--reset-stacks")) {
  // The local profile's emulator only: moto on 127.0.0.1:5060 with its test credentials.
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_DEFAULT_REGION: "us-east-1",
  };
  for (const stack of ["prebake-ci", "prebake-image-rebuild"]) {
    spawnSync(
      "aws",
      ["--endpoint-url", "http://127.0.0.1:5060", "cloudformation", "delete-stack", "--stack-name", stack],
      { env: awsEnv },
    );
  }
}
process.stdout.write(`first nx run-many -t deploy ...\n`);
const first = timeDeploy();
const noop: number[] = [];
for (let i = 0; i < runs; i++) {
  noop.push(timeDeploy());
  process.stdout.write(`  no-op run ${i + 1}/${runs}: ${fmt(noop.at(-1)!)}\n`);
}
const m = median(noop);
process.stdout.write(
  `\nvariant                                median     vs first\n` +
    `first nx run-many -t deploy (1 run)   ${fmt(first).padStart(9)}   1.000x\n` +
    `no-op nx run-many -t deploy (${runs} runs) ${fmt(m).padStart(9)}   ${(m / first).toFixed(3)}x\n`,
);
