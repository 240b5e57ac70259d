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
