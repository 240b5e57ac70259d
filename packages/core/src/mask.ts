/**
 * Secret values never reach a terminal, a log or a file. Output runs every line it prints, the
 * --json result and the summary record through one masker, which knows the values the command
 * resolved (parameter-store, secrets-manager, host AWS keys) and replaces each with ***, as
 * CodeBuild does in build output. It also strips credentials from URLs (`https://user:token@`).
 */
export const MASK = "***";

// scheme://userinfo@ : userinfo cannot hold an unescaped "/", "?", "#" or "@".
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/** Every URL in the text without its userinfo: `https://user:token@host/x` -> `https://host/x`. */
export function stripUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, "$1");
}

/** The same value as a shell's `set -x` shows it inside single quotes: ' becomes '\''. */
const shellQuoted = (value: string) => value.replaceAll("'", "'\\''");
/** The same value inside a JSON string. */
const jsonEscaped = (value: string) => JSON.stringify(value).slice(1, -1);
/** Lines of a multi-line secret shorter than this are too common to mask on their own (blank, "}"). */
const MIN_LINE = 4;

export class SecretMasker {
  private readonly values = new Set<string>();
  /** Longest first, so a secret that contains another is masked whole. */
  private ordered: string[] = [];

  /** Mask this value from now on, with the forms it takes when quoted, JSON-escaped or split into lines. */
  add(value: string | undefined): void {
    if (!value) return;
    const lines = value.split(/\r?\n/).map((l) => l.trim());
    const forms = [
      value,
      shellQuoted(value),
      jsonEscaped(value),
      ...lines.filter((l) => l.length >= MIN_LINE),
    ];
    for (const form of forms) this.values.add(form);
    this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return stripUrlCredentials(out);
  }

  /**
   * The value as JSON would carry it (a round trip, so class instances become plain data), with
   * every string masked. Keys are names, not secrets.
   */
  maskJson(value: unknown): unknown {
    if (value === undefined) return undefined;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.mask(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(JSON.parse(JSON.stringify(value)));
  }
}

/**
 * The process's masker: a CLI run is one process, and a secret resolved by one step must stay
 * masked in everything printed after it, error lines included.
 */
export const processMasker = new SecretMasker();
