/**
 * The editor's view of prebake's files, through the real yaml-language-server (what VS Code's YAML
 * extension, Neovim and Helix run): each file's `# yaml-language-server: $schema=...` line finds
 * its schema under schemas/, the repository's own files are clean, and a typo is flagged where
 * the user typed it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { globSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";
import { EDITOR_SCHEMAS } from "../schemas.ts";

const ROOT = join(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);
const SERVER = require.resolve("yaml-language-server/bin/yaml-language-server");

interface Diagnostic {
  message: string;
  range: { start: { line: number; character: number } };
}

let server: ChildProcess;
let lsp: MessageConnection;
const waiting = new Map<string, (d: Diagnostic[]) => void>();
let version = 0;

/** Open a document (it need not exist on disk: the schema path resolves from its URI) and wait for its diagnostics. */
function diagnose(path: string, text: string): Promise<Diagnostic[]> {
  const uri = pathToFileURL(join(ROOT, path)).href;
  const result = new Promise<Diagnostic[]>((resolve) => waiting.set(uri, resolve));
  lsp.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "yaml", version: ++version, text },
  });
  return result;
}

const repoFile = (path: string) => readFileSync(join(ROOT, path), "utf8");

beforeAll(async () => {
  server = spawn(process.execPath, [SERVER, "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  lsp = createMessageConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  lsp.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: Diagnostic[] }) => {
    waiting.get(p.uri)?.(p.diagnostics);
    waiting.delete(p.uri);
  });
  lsp.listen();
  await lsp.sendRequest("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(ROOT).href,
    capabilities: { textDocument: { publishDiagnostics: {} } },
  });
  lsp.sendNotification("initialized", {});
  // No schema store: this machine has no internet, and the files name their own schemas.
  lsp.sendNotification("workspace/didChangeConfiguration", {
    settings: { yaml: { validate: true, schemaStore: { enable: false } } },
  });
});

afterAll(() => {
  lsp?.dispose();
  server?.kill();
});

describe("yaml-language-server reads prebake's schemas", () => {
  // Every definition file of the repository, however many images and layers it grows.
  const files = [
    "prebake.config.yaml",
    ...globSync(["images/*/image.yaml", "layers/*/layer.yaml"], { cwd: ROOT }),
  ];

  it("every schema file exists for the modelines to point at", () => {
    for (const { file } of EDITOR_SCHEMAS) expect(() => repoFile(`schemas/${file}`), file).not.toThrow();
  });

  it.each(files)(
    "%s: its modeline finds its schema: the file is clean, an unknown key on its line",
    async (path) => {
      const text = repoFile(path);
      expect(text.split("\n")[0]).toMatch(/^# yaml-language-server: \$schema=\S+\.schema\.json$/);
      expect(await diagnose(path, text)).toEqual([]);
      // The same text beside it, one key added at the end: only a schema that was found flags it.
      const typo = await diagnose(path.replace(/[^/]+$/, "typo-$&"), `${text}notAKey: 1\n`);
      expect(typo.map((d) => [d.message, d.range.start.line])).toEqual([
        [expect.stringMatching(/notAKey/), text.split("\n").length - 1],
      ]);
    },
  );

  it("a value against its field's rule is flagged: a project name that is not lowercase", async () => {
    const config = repoFile("prebake.config.yaml").replace(/^project: .*$/m, "project: Not_Valid");
    const wrong = await diagnose("typo-prebake.config.yaml", config);
    expect(wrong.map((d) => d.message).join("\n")).toMatch(/pattern/i);
  });

  it("a layer.yaml key from a newer prebake, or a misspelt one, is not allowed", async () => {
    const layer = repoFile("layers/common-utils/layer.yaml").replace("pythonVersions:", "pythonVersion:");
    const diags = await diagnose("layers/common-utils/typo-layer.yaml", layer);
    expect(diags.map((d) => d.message)).toContainEqual(expect.stringMatching(/pythonVersion\b/));
  });
});
