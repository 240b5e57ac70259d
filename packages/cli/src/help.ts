import type { Command } from "commander";

/** Every command of the tree, the program first. */
export function allCommands(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => allCommands(c))];
}

/**
 * Help that reads cleanly at any terminal width, whatever a registrar wrote: a description's
 * single line breaks become spaces (commander wraps the text to the width; a hard break inside it
 * leaves ragged lines), blank lines stay paragraphs; a numeric default shows as a number
 * (`(default: 60)`, not `(default: "60")`), while the option's value stays the string its parser reads.
 */
export function tidyHelp(program: Command): void {
  for (const command of allCommands(program)) {
    const description = command.description();
    if (description.includes("\n")) {
      command.description(
        description
          .split(/\n\s*\n/)
          .map((paragraph) => paragraph.replace(/\s*\n\s*/g, " ").trim())
          .join("\n\n"),
      );
    }
    for (const option of command.options) {
      const value = option.defaultValue;
      if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value) && !option.defaultValueDescription)
        option.defaultValueDescription = value;
    }
  }
}

/**
 * Help text as it is printed, wrapped at `width`: what addHelpText adds (examples, exit codes) is
 * written by each registrar with line breaks of its own; its prose lines (not indented) are joined
 * into paragraphs and wrapped again, so they fit any terminal. Indented lines (examples, option
 * lists commander has laid out already) are kept as they are.
 */
export function wrapHelpText(text: string, width: number): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length === 0) return;
    let line = "";
    for (const word of paragraph.join(" ").split(/ +/)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
    paragraph = [];
  };
  for (const line of text.split("\n")) {
    // A heading ("Examples:", "Options:") ends a paragraph and stands alone.
    if (line === "" || /^\s/.test(line) || /:$/.test(line)) {
      flush();
      out.push(line);
    } else paragraph.push(line);
  }
  flush();
  return out.join("\n");
}

/** The width help is wrapped at: the terminal's, else 80. */
export const helpWidth = (stream: NodeJS.WriteStream) => (stream.isTTY && stream.columns) || 80;
