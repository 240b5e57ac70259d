import { artifactSets, isShellName } from "./artifacts.ts";
import { type Buildspec, PHASES } from "./buildspec.ts";
import { type CacheFolder, cacheRestoreScript, cacheSaveScript } from "./cache.ts";
import { MARKER_FD, SAY, WITHOUT_MARKER_CHANNEL } from "./markers.ts";
import { phaseUser, runAsCommand, runAsSetup } from "./run-as.ts";

export { MARK } from "./markers.ts";

/**
 * The shell script that runs a buildspec inside the container with CodeBuild's semantics:
 * every command of every phase in ONE shell process (so `cd`, `export` and `. activate` carry
 * over, as buildspec 0.2 promises; version 0.1 gives each command a subshell of its own), phases in order, a failing command ends its phase, `finally`
 * always runs after a phase's commands, on-failure ABORT stops after the phase (but a failed
 * BUILD still gets POST_BUILD, with CODEBUILD_BUILD_SUCCEEDING=0), CONTINUE goes on.
 * Markers (`##prebake:...`, markers.ts) tell the runner where each phase starts and ends, on a
 * channel of their own: the container's stderr, held on fd 9, which no buildspec command inherits.
 *
 * The driver is POSIX sh because CodeBuild runs commands in `sh` on Linux unless the buildspec
 * says `env.shell: bash`: a bash-only command that would fail in CodeBuild fails here too.
 * Artifacts and reports are collected by the runner after the build, outside the build's shell,
 * as CodeBuild's agent collects them (outputs.ts).
 */
export const DRIVER_PATH = "/codebuild/prebake/driver.sh";

export interface DriverOptions {
  /** cache.paths folders, kept in the cache volume (cache.ts). */
  cacheFolders?: CacheFolder[];
  /** CODEBUILD_SRC_DIR, to tell the source's cached folders from the others. */
  srcDir?: string;
}

/** The shell the build's commands run in: CodeBuild's default on Linux is sh. */
export function buildShell(spec: Buildspec): "bash" | "sh" {
  return spec.env.shell === "bash" ? "bash" : "sh";
}

/** A heredoc delimiter that cannot occur in the command text. */
function delimiter(text: string, n: number): string {
  let d = `__PREBAKE_CMD_${n}__`;
  while (text.includes(d)) d = `_${d}_`;
  return d;
}

function commandBlock(
  phase: string,
  kind: "cmd" | "finally",
  index: number,
  command: string,
  n: number,
  user: string | undefined,
  ownShell: boolean,
): string {
  const d = delimiter(command, n);
  const run = user
    ? runAsCommand(user, command, d)
    : // eval of the exact text keeps multi-line commands and quoting as written; it runs in this shell.
      [
        `  case $__pb_x in *x*) set -x ;; esac`,
        `  eval "$(cat <<'${d}'`,
        command,
        d,
        `)" ${WITHOUT_MARKER_CHANNEL}`,
      ];
  // A build's `set -x` traces its own commands only: the driver turns tracing off (silently, in a
  // group whose stderr is discarded) after each command and back on before the next, so its own
  // lines, markers included, never show up traced.
  const after =
    user || ownShell
      ? "  { __pb_rc=$?; set +x; } 2>/dev/null"
      : "  { __pb_rc=$?; __pb_x=$-; set +x; } 2>/dev/null";
  // Version 0.1: every command in a shell of its own (a subshell), so cd, export and set -x made by
  // one command are gone for the next, as CodeBuild runs 0.1; each starts in the source folder.
  const body = ownShell ? ["  (", ...run, "  )"] : run;
  return [`  ${SAY}${kind} ${phase} ${index}"`, ...body, after].join("\n");
}

function phaseBlock(spec: Buildspec, name: (typeof PHASES)[number], counter: { n: number }): string[] {
  const phase = spec.phases[name];
  if (!phase) return [];
  const upper = name.toUpperCase();
  const user = phaseUser(spec, name);
  const ownShell = spec.version === "0.1";
  // POST_BUILD runs after a failed BUILD (CodeBuild does); any other abort skips the rest.
  const guard =
    name === "post_build" ? '[ "$__pb_stop" = 0 ] || [ "$__pb_build_failed" = 1 ]' : '[ "$__pb_stop" = 0 ]';
  const out = [`if ${guard}; then`, `  ${SAY}phase-start ${upper}"`, "  __pb_rc=0", "  __pb_phase_rc=0"];
  phase.commands.forEach((cmd, i) => {
    out.push(
      'if [ "$__pb_phase_rc" = 0 ]; then',
      commandBlock(upper, "cmd", i, cmd, counter.n++, user, ownShell),
    );
    out.push(
      `  if [ "$__pb_rc" != 0 ]; then __pb_phase_rc=$__pb_rc; ${SAY}cmd-failed ${upper} ${i} $__pb_rc"; fi`,
      "fi",
    );
  });
  phase.finally.forEach((cmd, i) => {
    out.push(commandBlock(upper, "finally", i, cmd, counter.n++, user, ownShell));
    out.push(
      `  if [ "$__pb_rc" != 0 ] && [ "$__pb_phase_rc" = 0 ]; then __pb_phase_rc=$__pb_rc; ${SAY}finally-failed ${upper} ${i} $__pb_rc"; fi`,
    );
  });
  out.push(`  ${SAY}phase-end ${upper} $__pb_phase_rc"`, '  if [ "$__pb_phase_rc" != 0 ]; then');
  out.push("    export CODEBUILD_BUILD_SUCCEEDING=0");
  if (name === "build") out.push("    __pb_build_failed=1");
  // RETRY is not retried locally: the phase ends the build as ABORT does (a warning says so).
  if (phase.onFailure !== "CONTINUE") out.push("    __pb_stop=1");
  out.push("  fi", "fi");
  return out;
}

/** Artifact names the shell computes (`name: build-$(date +%F)`), evaluated at the end of the build as CodeBuild does. */
function artifactNameScript(spec: Buildspec): string[] {
  return artifactSets(spec).flatMap((set, i) => {
    if (!isShellName(set.name)) return [];
    const d = delimiter(set.name ?? "", i);
    // An unquoted heredoc expands as double quotes do: variables and $(...) of the build's shell.
    return [`__pb_name=$(cat <<${d}`, set.name ?? "", d, ")", `${SAY}artifact-name ${i} $__pb_name"`];
  });
}

export function driverScript(spec: Buildspec, options: DriverOptions = {}): string {
  const shell = buildShell(spec);
  const folders = options.cacheFolders ?? [];
  const out: string[] = [
    `#!/bin/${shell}`,
    "# Generated by prebake: runs a buildspec with CodeBuild's phase semantics in one shell.",
    "set +e",
    // The marker channel: the container's stderr moves to fd 9 for the driver alone; the build's
    // stderr joins its stdout (one build log, as before).
    `exec ${MARKER_FD}>&2 2>&1`,
    'cd "$CODEBUILD_SRC_DIR" || exit 1',
    "export CODEBUILD_BUILD_SUCCEEDING=1",
    "__pb_stop=0",
    "__pb_build_failed=0",
    "__pb_x=",
    ...runAsSetup(spec, shell),
    ...cacheRestoreScript(spec, folders, options.srcDir ?? ""),
    'cd "$CODEBUILD_SRC_DIR" || exit 1',
  ];
  const counter = { n: 0 };
  for (const name of PHASES) out.push(...phaseBlock(spec, name, counter));
  out.push(...cacheSaveScript(spec, folders), ...artifactNameScript(spec));
  // exported-variables: their values at the end of the build (names are validated identifiers).
  for (const v of spec.env.exportedVariables) out.push(`${SAY}exported ${v}=\${${v}-}"`);
  out.push('[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]', "exit $?");
  return `${out.join("\n")}\n`;
}
