/**
 * What a build costs: its compute type's rate × its billed minutes. The rates live in this one
 * table, each with where it comes from and when it was read; prebake.config.yaml
 * `report.ratesPerMinute` overrides or adds to them (another region, a new compute type).
 */
export interface Rate {
  usdPerMinute: number;
  source: string;
}

/** On-demand Linux (EC2 compute) rates, us-east-1. */
export const RATES: Record<string, Rate> = {
  BUILD_GENERAL1_SMALL: {
    usdPerMinute: 0.005,
    source:
      "aws.amazon.com/codebuild/pricing (on-demand, Linux, us-east-1), as quoted by the AWS DevOps blog " +
      "'Strategies to optimize the costs of your builds on AWS CodeBuild' (2023-03-30); read 2026-11-23. " +
      "Some tables name $0.005/min general1.large: it is the small rate",
  },
  BUILD_GENERAL1_MEDIUM: {
    usdPerMinute: 0.01,
    source: "aws.amazon.com/codebuild/pricing (on-demand, Linux, us-east-1), same sources; read 2026-11-23",
  },
  BUILD_GENERAL1_LARGE: {
    usdPerMinute: 0.02,
    source: "aws.amazon.com/codebuild/pricing (on-demand, Linux, us-east-1), same sources; read 2026-11-23",
  },
};

/** The built-in table with the configuration's rates over it. */
export function rateTable(overrides: Record<string, number>): Record<string, Rate> {
  const table = { ...RATES };
  for (const [type, usdPerMinute] of Object.entries(overrides))
    table[type] = { usdPerMinute, source: "prebake.config.yaml report.ratesPerMinute" };
  return table;
}

/** CodeBuild bills whole minutes: a build's duration rounded up to the next minute (at least one). */
export const billedMinutes = (durationMs: number) => Math.max(1, Math.ceil(durationMs / 60_000));

/** The cost of one build in USD, or undefined when the compute type has no rate. */
export function buildCost(
  durationMs: number,
  computeType: string,
  table: Record<string, Rate>,
): number | undefined {
  const rate = table[computeType];
  return rate ? billedMinutes(durationMs) * rate.usdPerMinute : undefined;
}
