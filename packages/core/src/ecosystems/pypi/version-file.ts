import type { EditOptions, EditResult } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { describeNonVersion, isVersionText } from "../../version-text.js";

export interface VersionFileOptions extends EditOptions {
  /** The assigned name; `__version__` unless a setuptools `attr` names another one. */
  variable?: string;
}

/** Where the single version assignment of a Python file is. */
export interface VersionAssignment {
  version: string;
  /** 1-based line. */
  line: number;
  /** Offsets of the string's content (inside the quotes). */
  start: number;
  end: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `name = "..."`, `name: str = '...'`, `name = other = "..."` at the start of a line, then only a comment. */
const ASSIGNMENT =
  /^((?:[A-Za-z_][A-Za-z0-9_]*[ \t]*(?::[^=\r\n]*)?=[ \t]*)+)(["'])([^"'\\\r\n]*)\2[ \t]*(?:#.*)?$/;

/**
 * Sets the string of the one module-level `__version__ = "..."` line (also annotated, `__version__: str = '...'`,
 * and chained, `__version__ = version = "..."`), keeping its quotes and every other byte (CRLF, BOM).
 * Indented assignments and text inside triple-quoted strings are not assignments of the module. No such line,
 * or more than one, is a PolyglotError: the file must say unambiguously what to change.
 */
export function updateVersionFile(
  text: string,
  version: string,
  options: VersionFileOptions = {},
): EditResult {
  const found = readVersionAssignment(text, options);
  if (found.version === version) return { text, edits: [] };
  const variable = options.variable ?? "__version__";
  return {
    text: text.slice(0, found.start) + version + text.slice(found.end),
    edits: [{ field: variable, from: found.version, to: version }],
  };
}

/** The one module-level assignment of `options.variable` (default `__version__`) to a plain string. */
export function readVersionAssignment(text: string, options: VersionFileOptions = {}): VersionAssignment {
  const variable = options.variable ?? "__version__";
  if (!NAME.test(variable)) throw new Error(`"${variable}" is not a Python name`);
  const found = moduleLevelLines(text).flatMap((line) => assignmentOn(line, variable));
  const where = options.file ? { file: options.file } : {};
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new PolyglotError(`no ${variable} = "..." line to write the version to`, {
      code: "version-file-missing",
      ...where,
      setting: "versionFiles",
      fix: `add a line ${variable} = "0.0.0" at the top level of the file, or list the right file in "versionFiles"`,
    });
  }
  throw new PolyglotError(
    `${found.length} ${variable} = "..." lines (lines ${found.map((entry) => entry.line).join(", ")}); which one to write is ambiguous`,
    {
      code: "version-file-invalid",
      ...where,
      line: found[1]!.line,
      fix: `keep a single top-level ${variable} = "..." line`,
    },
  );
}

/**
 * A file that holds only the version (setuptools `version = { file = "VERSION" }`): the version is replaced,
 * surrounding whitespace, the final newline and a BOM are kept.
 */
export function updatePlainVersionFile(text: string, version: string, options: EditOptions = {}): EditResult {
  const match = /^(\uFEFF?\s*)(\S+)\s*$/.exec(text);
  if (!match) {
    throw new PolyglotError("a version file must hold only the version", {
      code: "version-file-invalid",
      ...(options.file ? { file: options.file } : {}),
      fix: "leave just the version (e.g. 1.2.0) in the file",
    });
  }
  const current = match[2]!;
  if (current === version) return { text, edits: [] };
  if (!isVersionText(current)) {
    throw new PolyglotError(
      `a version file must hold only the version; this one holds ${describeNonVersion(current)}`,
      {
        code: "version-file-invalid",
        ...(options.file ? { file: options.file } : {}),
        fix: "leave just the version (e.g. 1.2.0) in the file",
      },
    );
  }
  const start = match[1]!.length;
  return {
    text: text.slice(0, start) + version + text.slice(start + current.length),
    edits: [{ field: "version", from: current, to: version }],
  };
}

interface SourceLine {
  text: string;
  start: number;
  number: number;
}

/** The lines that start outside any triple-quoted string. */
function moduleLevelLines(text: string): SourceLine[] {
  const lines: SourceLine[] = [];
  let open: string | null = null;
  let start = text.startsWith("\uFEFF") ? 1 : 0;
  for (let number = 1; start <= text.length; number++) {
    const newline = text.indexOf("\n", start);
    const line = text.slice(start, newline === -1 ? text.length : newline).replace(/\r$/, "");
    if (open === null) lines.push({ text: line, start, number });
    open = tripleQuoteStateAfter(line, open);
    if (newline === -1) break;
    start = newline + 1;
  }
  return lines;
}

/** Follows strings and comments through one line; returns the triple quote still open at its end, if any. */
function tripleQuoteStateAfter(line: string, open: string | null): string | null {
  let index = 0;
  let inside = open;
  while (index < line.length) {
    if (inside !== null) {
      const close = line.indexOf(inside, index);
      if (close === -1) return inside;
      index = close + 3;
      inside = null;
      continue;
    }
    const char = line[index]!;
    if (char === "#") return null;
    if (char === '"' || char === "'") {
      if (line.startsWith(char.repeat(3), index)) {
        inside = char.repeat(3);
        index += 3;
        continue;
      }
      index = endOfShortString(line, index, char);
      continue;
    }
    index++;
  }
  return inside;
}

function endOfShortString(line: string, open: number, quote: string): number {
  let index = open + 1;
  while (index < line.length && line[index] !== quote) index += line[index] === "\\" ? 2 : 1;
  return index + 1;
}

function assignmentOn(line: SourceLine, variable: string): VersionAssignment[] {
  const match = ASSIGNMENT.exec(line.text);
  if (!match) return [];
  const targets = match[1]!
    .split("=")
    .slice(0, -1)
    .map((target) => target.split(":")[0]!.trim());
  if (!targets.includes(variable)) return [];
  const start = line.start + match[1]!.length + 1;
  return [{ version: match[3]!, line: line.number, start, end: start + match[3]!.length }];
}
