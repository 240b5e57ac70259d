import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineSplitter, Output, SecretMasker, stripUrlCredentials, withDeadline } from "../src/index.ts";

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("secret masking", () => {
  it("masks a value wherever it appears, longest secret first", () => {
    const m = new SecretMasker();
    m.add("hunter2");
    m.add("hunter2-admin");
    expect(m.mask("pw=hunter2 admin=hunter2-admin")).toBe("pw=*** admin=***");
  });

  it("masks the forms a value takes in `set -x` quoting, JSON strings and single lines of a multi-line secret", () => {
    const m = new SecretMasker();
    m.add('it\'s "quoted"');
    m.add("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----");
    expect(m.mask("+ echo 'it'\\''s \"quoted\"'")).toBe("+ echo '***'");
    expect(m.mask('{"v":"it\'s \\"quoted\\""}')).toBe('{"v":"***"}');
    expect(m.mask("line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")).toBe("line: ***");
  });

  it("ignores empty values, and keeps short lines of a multi-line secret visible", () => {
    const m = new SecretMasker();
    m.add("");
    m.add(undefined);
    m.add("long-enough-line\n}");
    expect(m.mask("} and {}")).toBe("} and {}");
  });

  it("masks every string of a JSON result, leaving keys and other values", () => {
    const m = new SecretMasker();
    m.add("s3cr3t");
    expect(m.maskJson({ exported: { TOKEN: "s3cr3t" }, list: ["a s3cr3t b"], n: 3, ok: true })).toEqual({
      exported: { TOKEN: "***" },
      list: ["a *** b"],
      n: 3,
      ok: true,
    });
  });

  it("strips credentials from every URL, and nothing else", () => {
    expect(
      stripUrlCredentials("index https://aws:eyJ0b2tlbiI6@my-domain.d.codeartifact.aws/simple/ ok"),
    ).toBe("index https://my-domain.d.codeartifact.aws/simple/ ok");
    expect(stripUrlCredentials("http://user@host:8080/x and git@github.com:a/b https://h/p@v")).toBe(
      "http://host:8080/x and git@github.com:a/b https://h/p@v",
    );
  });

  it("Output masks printed lines, progress, errors, and the --json result", () => {
    const out = sink();
    const err = sink();
    const masker = new SecretMasker();
    const o = new Output({ stdout: out.stream, stderr: err.stream, json: true, tty: false, masker });
    o.addSecret("pa55word");
    o.info("the password is pa55word");
    o.progress("pip", "from https://u:pa55@host/simple");
    o.warn("pa55word!");
    o.result({ value: "pa55word" });
    expect(err.text()).toBe("    the password is ***\n    pip: from https://host/simple\nwarning: ***!\n");
    expect(JSON.parse(out.text())).toEqual({ value: "***" });
  });
});

describe("lines and deadlines", () => {
  it("splits chunks into lines across chunk and multi-byte boundaries, keeping a tail", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 2);
    const euro = Buffer.from("€");
    s.push(Buffer.concat([Buffer.from("a\r\nb"), euro.subarray(0, 1)]));
    s.push(Buffer.concat([euro.subarray(1), Buffer.from("\nc")]));
    s.flush();
    expect(lines).toEqual(["a", "b€", "c"]);
    expect(s.tail).toEqual(["b€", "c"]);
  });

  it("a deadline rejects with the caller's error; work that settles in time wins", async () => {
    await expect(withDeadline(new Promise(() => {}), 20, () => new Error("no answer"))).rejects.toThrow(
      "no answer",
    );
    await expect(withDeadline(Promise.resolve(7), 1000, () => new Error("late"))).resolves.toBe(7);
  });
});
