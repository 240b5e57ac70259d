/**
 * The driver (driver.ts) tells the runner where it is with marker lines, `##prebake:<kind> <args>`,
 * on a channel the build cannot print on: the driver moves the container's stderr to fd 9 before
 * anything runs (the build's stdout and stderr both go to the container's stdout), writes its
 * markers to fd 9, and runs every buildspec command with fd 9 closed. The runner reads markers
 * from the container's stderr only (phases.ts), so a build that echoes or `cat`s a marker-looking
 * line, or traces one with `set -x`, only prints output.
 */
export const MARK = "##prebake:";

/** The driver's marker channel inside the container; the build's commands never have it open. */
export const MARKER_FD = 9;

/** The start of a shell statement that writes one marker: `${SAY}kind args"`. */
export const SAY = `echo >&${MARKER_FD} "${MARK}`;

/** Closes the marker channel for a command the build wrote (appended to the command that runs it). */
export const WITHOUT_MARKER_CHANNEL = `${MARKER_FD}>&-`;

/** Text safe to put in a marker line inside double quotes (no expansion, no spaces). */
export function markerText(text: string): string {
  return text.replace(/[^A-Za-z0-9._/*~+=@:-]/g, "_");
}
