/**
 * Prints the cfn-lint version (see src/cfn-lint-version.ts). The Nx `lint` target hashes this
 * output as a runtime input, so a cfn-lint upgrade misses the cache. Run from the workspace root.
 */
import { cfnLintVersion } from "../src/cfn-lint-version.ts";

process.stdout.write(`cfn-lint ${await cfnLintVersion(process.cwd())}\n`);
