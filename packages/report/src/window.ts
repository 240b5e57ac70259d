import { ConfigError } from "@prebake/core";

const UNITS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since 30d` (h, d or w), or an ISO date: the start of the report's window. */
export function parseSince(value: string, now: number = Date.now()): number {
  const relative = /^(\d+)([hdw])$/.exec(value.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!]!;
  const date = Date.parse(value);
  if (!Number.isNaN(date) && /^\d{4}-\d{2}-\d{2}/.test(value)) return date;
  throw new ConfigError(`'${value}' is not a window`, {
    where: "--since",
    fix: "give a length back from now (12h, 30d, 8w) or a date (2026-11-01)",
  });
}
