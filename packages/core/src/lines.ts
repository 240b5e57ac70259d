/**
 * Turns a byte stream's chunks into whole lines: a chunk may end mid-line (or mid-character),
 * and a line is only handed on once its newline arrived, or at flush(). Keeps the last lines for
 * error messages.
 */
export class LineSplitter {
  readonly tail: string[] = [];
  private partial = "";
  private readonly decoder = new TextDecoder();
  private readonly onLine: (line: string) => void;
  private readonly tailSize: number;

  constructor(onLine: (line: string) => void = () => {}, tailSize = 25) {
    this.onLine = onLine;
    this.tailSize = tailSize;
  }

  push(chunk: Buffer | string): void {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
  }

  /** The last line, when the stream ended without a newline. */
  flush(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    if (rest) this.emit(rest);
  }

  private emit(line: string): void {
    this.tail.push(line);
    if (this.tail.length > this.tailSize) this.tail.shift();
    this.onLine(line);
  }
}
