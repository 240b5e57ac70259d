/**
 * The driver (driver.ts) tells the runner where it is with marker lines on stdout:
 * `##prebake:<kind> <args>`. phases.ts reads them back.
 */
export const MARK = "##prebake:";

/** Text safe to put in a marker line inside double quotes (no expansion, no spaces). */
export function markerText(text: string): string {
  return text.replace(/[^A-Za-z0-9._/*~+=@:-]/g, "_");
}
