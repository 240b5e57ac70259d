/** The q-quantile (0..1) of the values, linearly interpolated; undefined for no values. */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export const median = (values: number[]) => quantile(values, 0.5);

const BARS = "▁▂▃▄▅▆▇█";

/**
 * A sparkline of the values (one block per value, scaled between their min and max). Eight
 * characters of logic, so no library: the one on npm (sparkly) sees ~1k downloads a month.
 */
export function sparkline(values: number[]): string {
  if (values.length === 0) return "";
  const min = Math.min(...values);
  const span = Math.max(...values) - min;
  return values
    .map((v) => BARS[span === 0 ? 3 : Math.round(((v - min) / span) * (BARS.length - 1))])
    .join("");
}
