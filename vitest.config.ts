import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// The tests' runs (fake images, throw-away stacks) are not the checkout's history: commands they
// start write theirs to a temp folder instead of .prebake/history (tests that check history set their own).
process.env.PREBAKE_HISTORY_DIR ??= join(tmpdir(), "prebake-test-history");

// Two projects: fast unit tests of pure logic, and integration tests that talk to the real
// local services (Docker engine, registry, moto) started by scripts/local-env.sh. Integration
// files run one at a time: they share one engine and one emulator on a 2-core machine.
//
// Files and the tests in each file run in a shuffled order, so a test that leans on an earlier one
// fails in CI instead of passing by luck. Vitest prints the seed ("Running tests with seed N");
// replay an order with `npx vitest run --sequence.seed N`.
const shuffled = { shuffle: { files: true, tests: true } };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "scripts/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
          sequence: shuffled,
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.int.test.ts", "scripts/test/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          sequence: shuffled,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
