/** Command-line option values every command parses alike: repeatable flags, KEY=value pairs, whole numbers. */
import { ConfigError } from "./errors.ts";

/**
 * Repeatable `--option KEY=value` flags (--parameter, --build-arg, --env) into a record; the
 * value may itself contain '='. A flag without a key is one ConfigError naming the option.
 */
export function parseKeyValueOptions(
  values: string[],
  option: string,
  example: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0)
      throw new ConfigError(`'${v}' is not KEY=value`, { where: option, fix: `write ${option} ${example}` });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Commander's accumulator for a repeatable option (`--parameter a=1 --parameter b=2`): pass it with `[]`. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export interface IntegerOption {
  /** The option, for the message (`--timeout`). */
  option: string;
  /** What the number is, for the message: `'x' is not <what>` ("a build timeout"). */
  what: string;
  min: number;
  max: number;
  /** The fix, in the command's words ("give whole minutes from 5 to 2160 (CodeBuild's range)"). */
  fix: string;
}

/** A whole number from min to max, or one ConfigError naming the option and its range. */
export function parseIntegerOption(value: string, spec: IntegerOption): number {
  const n = Number(value);
  if (!(value.trim() !== "" && Number.isInteger(n) && n >= spec.min && n <= spec.max))
    throw new ConfigError(`'${value}' is not ${spec.what}`, { where: spec.option, fix: spec.fix });
  return n;
}
