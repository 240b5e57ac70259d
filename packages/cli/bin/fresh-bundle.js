// Whether a bundle (dist/cli/prebake.mjs) was built from the files as they are now. Plain
// JavaScript because bin/prebake.js asks before anything else loads: a TypeScript module would cost
// Node's type stripping, most of what the bundle saves. bundle/bundle.ts writes the record.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The record written next to a bundle: `<bundle>.inputs.json`. */
export const inputsRecordOf = (bundle) => `${bundle}.inputs.json`;

/** A file as the record keeps it: its size and modification time (as make and git compare). */
export function stampOf(path) {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return "missing";
  }
}

/**
 * True when `bundle` exists and every file it was built from (repository paths relative to `root`;
 * node_modules stands as its `.package-lock.json`, which npm rewrites on every install) still has
 * the size and modification time it had then, and the bundle itself too.
 */
export function isBundleFresh(bundle, root) {
  let record;
  try {
    record = JSON.parse(readFileSync(inputsRecordOf(bundle), "utf8"));
  } catch {
    return false;
  }
  if (stampOf(bundle) !== record.bundle) return false;
  for (const [path, stamp] of Object.entries(record.inputs)) {
    if (stampOf(join(root, path)) !== stamp) return false;
  }
  return true;
}
