/** How the report writes sizes, money and shares, the same on the page and in the terminal. */

/** Sizes in MB as Lambda and ECR count them (1 MB = 1,048,576 bytes: Lambda's 250 MB is 262,144,000 bytes). */
export const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** Dollars: cents, or four decimals below a cent (a short build costs fractions of one); `missing` without a rate. */
export const usd = (v: number | undefined, missing = "–") =>
  v === undefined ? missing : `$${v < 0.01 ? v.toFixed(4) : v.toFixed(2)}`;

/** A share (0..1) as a percentage with one decimal. */
export const percent = (v: number | undefined) => (v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
