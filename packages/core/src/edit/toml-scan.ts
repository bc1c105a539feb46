import { PolyglotError } from "../errors.js";

/** A key path into a TOML document; numbers index arrays and arrays of tables (`["package", 3, "version"]`). */
export type TomlPath = readonly (string | number)[];

export type TomlQuote = '"' | "'" | '"""' | "'''";

/** Where one scalar value sits in the text. Offsets are string indexes (UTF-16 units), as `String.slice` uses. */
export interface TomlValueSpan {
  path: TomlPath;
  /** For strings: the inner bytes, inside the quotes (after the newline a multi-line string trims). */
  start: number;
  end: number;
  /** Strings decoded; other scalars (numbers, booleans, dates) as written. */
  value: string;
  /** The string delimiter, or null for a non-string scalar. */
  quote: TomlQuote | null;
  /** 1-based line of `start`. */
  line: number;
}

const SCALAR_END = new Set([",", "]", "}", "#", "\n", "\r"]);
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\u001b",
  '"': '"',
  "\\": "\\",
};

/**
 * Lists every scalar value of a TOML document with its exact span and full key path, in one linear pass.
 * It follows table headers (also `[ "quoted" . keys ]`), dotted keys, inline tables, arrays, arrays of tables
 * (each `[[name]]` gets the next index) and skips comments and strings, so `version = "..."` inside a
 * multi-line string or a comment is never taken for a key. It assumes a document smol-toml accepts; what
 * it cannot read throws a PolyglotError with the line.
 */
export function scanTomlValues(text: string): TomlValueSpan[] {
  return new TomlScanner(text).scanDocument();
}

interface ScannedString {
  quote: TomlQuote;
  start: number;
  end: number;
  line: number;
  value: string;
}

class TomlScanner {
  private pos = 0;
  private line = 1;
  private readonly spans: TomlValueSpan[] = [];
  private readonly arrayTableCounts = new Map<string, number>();

  constructor(private readonly text: string) {}

  scanDocument(): TomlValueSpan[] {
    if (this.text.startsWith("\uFEFF")) this.pos = 1;
    let table: TomlPath = [];
    while (this.pos < this.text.length) {
      this.skipBlank();
      const char = this.text[this.pos];
      if (char === undefined) break;
      if (char === "#" || char === "\n" || char === "\r") {
        this.endLine();
        continue;
      }
      if (char === "[") table = this.readHeader();
      else this.readKeyValue(table);
      this.endLine();
    }
    return this.spans;
  }

  private readHeader(): TomlPath {
    const isArrayTable = this.text.startsWith("[[", this.pos);
    this.pos += isArrayTable ? 2 : 1;
    this.skipBlank();
    const keys = this.readKey();
    this.skipBlank();
    this.expect(isArrayTable ? "]]" : "]");
    return isArrayTable ? this.resolveArrayTable(keys) : this.resolveTable(keys, keys.length);
  }

  /** Each key that names an array of tables refers to its last element so far. */
  private resolveTable(keys: string[], count: number): (string | number)[] {
    const resolved: (string | number)[] = [];
    for (const key of keys.slice(0, count)) {
      resolved.push(key);
      const size = this.arrayTableCounts.get(JSON.stringify(resolved));
      if (size !== undefined) resolved.push(size - 1);
    }
    return resolved;
  }

  private resolveArrayTable(keys: string[]): TomlPath {
    const resolved = this.resolveTable(keys, keys.length - 1);
    resolved.push(keys[keys.length - 1]!);
    const id = JSON.stringify(resolved);
    const index = this.arrayTableCounts.get(id) ?? 0;
    this.arrayTableCounts.set(id, index + 1);
    resolved.push(index);
    return resolved;
  }

  private readKeyValue(table: TomlPath): void {
    const keys = this.readKey();
    this.skipBlank();
    this.expect("=");
    this.skipBlank();
    this.readValue([...table, ...keys]);
  }

  private readKey(): string[] {
    const keys = [this.readSimpleKey()];
    for (;;) {
      this.skipBlank();
      if (this.text[this.pos] !== ".") return keys;
      this.pos++;
      this.skipBlank();
      keys.push(this.readSimpleKey());
    }
  }

  private readSimpleKey(): string {
    const char = this.text[this.pos];
    if (char === '"' || char === "'") {
      if (this.text.startsWith(char.repeat(3), this.pos)) this.fail("a key cannot be a multi-line string");
      return this.readString().value;
    }
    const start = this.pos;
    while (this.pos < this.text.length && isBareKeyChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail(`expected a key, found ${JSON.stringify(char ?? "end of file")}`);
    return this.text.slice(start, this.pos);
  }

  private readValue(path: TomlPath): void {
    const char = this.text[this.pos];
    if (char === '"' || char === "'") {
      const { quote, start, end, line, value } = this.readString();
      this.spans.push({ path, start, end, value, quote, line });
    } else if (char === "[") this.readArray(path);
    else if (char === "{") this.readInlineTable(path);
    else this.readScalar(path);
  }

  private readScalar(path: TomlPath): void {
    const start = this.pos;
    while (this.pos < this.text.length && !SCALAR_END.has(this.text[this.pos]!)) this.pos++;
    while (this.pos > start && isBlank(this.text[this.pos - 1]!)) this.pos--;
    if (this.pos === start) this.fail("expected a value");
    this.spans.push({
      path,
      start,
      end: this.pos,
      value: this.text.slice(start, this.pos),
      quote: null,
      line: this.line,
    });
  }

  private readArray(path: TomlPath): void {
    this.pos++;
    for (let index = 0; ; index++) {
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === "]") break;
      this.readValue([...path, index]);
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "]") this.fail("expected , or ] in an array");
    }
    this.pos++;
  }

  /** Newlines, comments and a trailing comma are accepted inside inline tables, as TOML 1.1 and smol-toml do. */
  private readInlineTable(path: TomlPath): void {
    this.pos++;
    for (;;) {
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === "}") break;
      const keys = this.readKey();
      this.skipBlank();
      this.expect("=");
      this.skipBlank();
      this.readValue([...path, ...keys]);
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") this.fail("expected , or } in an inline table");
    }
    this.pos++;
  }

  private readString(): ScannedString {
    const char = this.text[this.pos]!;
    const multiLine = this.text.startsWith(char.repeat(3), this.pos);
    const quote = (multiLine ? char.repeat(3) : char) as TomlQuote;
    this.pos += quote.length;
    if (multiLine) this.skipOneNewline();
    const start = this.pos;
    const line = this.line;
    const value = char === '"' ? this.readBasicContent(multiLine) : this.readLiteralContent(multiLine);
    const end = this.pos;
    this.pos += quote.length;
    return { quote, start, end, line, value };
  }

  /** Leaves `pos` on the closing delimiter; a multi-line string may end with up to two extra quotes. */
  private readLiteralContent(multiLine: boolean): string {
    const start = this.pos;
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined) this.fail("unterminated string");
      if (char === "'") {
        if (!multiLine || this.skipQuoteRun("'")) break;
        continue;
      }
      if (char === "\n") {
        if (!multiLine) this.fail("newline in a single-line string");
        this.line++;
      }
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  private readBasicContent(multiLine: boolean): string {
    if (!multiLine) {
      const close = this.text.indexOf('"', this.pos);
      const plain = close === -1 ? "" : this.text.slice(this.pos, close);
      if (close !== -1 && !/[\\\n]/.test(plain)) {
        this.pos = close;
        return plain;
      }
    }
    let value = "";
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined) this.fail("unterminated string");
      if (char === '"') {
        const start = this.pos;
        const closes = !multiLine || this.skipQuoteRun('"');
        value += this.text.slice(start, this.pos);
        if (closes) break;
        continue;
      }
      if (char === "\\") {
        value += this.readEscape(multiLine);
        continue;
      }
      if (char === "\n") {
        if (!multiLine) this.fail("newline in a single-line string");
        this.line++;
      }
      value += char;
      this.pos++;
    }
    return value;
  }

  /**
   * In a multi-line string at a quote: skips the quotes that are content and returns true when the last three
   * of the run close the string (a run of up to five ends with the content's one or two quotes).
   */
  private skipQuoteRun(quote: string): boolean {
    let run = 0;
    while (this.text[this.pos + run] === quote) run++;
    if (run > 5) this.fail("too many quotes at the end of a multi-line string");
    this.pos += run >= 3 ? run - 3 : run;
    return run >= 3;
  }

  private readEscape(multiLine: boolean): string {
    const next = this.text[this.pos + 1];
    if (multiLine && (next === " " || next === "\t" || next === "\n" || next === "\r")) {
      this.pos++;
      this.skipLineEndingBackslash();
      return "";
    }
    const simple = next === undefined ? undefined : SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const digits = next === "u" ? 4 : next === "U" ? 8 : next === "x" ? 2 : 0;
    const hex = this.text.slice(this.pos + 2, this.pos + 2 + digits);
    if (digits === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits)
      this.fail("invalid escape in a string");
    this.pos += 2 + digits;
    return String.fromCodePoint(Number.parseInt(hex, 16));
  }

  private skipLineEndingBackslash(): void {
    while (this.pos < this.text.length) {
      const char = this.text[this.pos]!;
      if (char === "\n") this.line++;
      else if (!isBlank(char) && char !== "\r") return;
      this.pos++;
    }
  }

  private skipOneNewline(): void {
    if (this.text.startsWith("\r\n", this.pos)) this.pos += 2;
    else if (this.text[this.pos] === "\n") this.pos++;
    else return;
    this.line++;
  }

  private skipBlank(): void {
    while (isBlank(this.text[this.pos] ?? "")) this.pos++;
  }

  private skipComment(): void {
    if (this.text[this.pos] !== "#") return;
    while (this.pos < this.text.length && this.text[this.pos] !== "\n" && this.text[this.pos] !== "\r")
      this.pos++;
  }

  private skipBlankLinesAndComments(): void {
    for (;;) {
      this.skipBlank();
      this.skipComment();
      const before = this.pos;
      this.skipOneNewline();
      if (this.pos === before) return;
    }
  }

  /** After a header or key/value: blanks, an optional comment, then a newline or the end of the file. */
  private endLine(): void {
    this.skipBlank();
    this.skipComment();
    if (this.pos >= this.text.length) return;
    const before = this.pos;
    this.skipOneNewline();
    if (this.pos === before)
      this.fail(`expected the end of the line, found ${JSON.stringify(this.text[this.pos])}`);
  }

  private expect(token: string): void {
    if (!this.text.startsWith(token, this.pos)) this.fail(`expected ${token}`);
    this.pos += token.length;
  }

  private fail(problem: string): never {
    throw new PolyglotError(`invalid TOML: ${problem}`, {
      code: "invalid-toml",
      line: this.line,
      fix: `fix the TOML syntax at line ${this.line}; nothing was written`,
    });
  }
}

/** A-Z a-z 0-9 _ - */
function isBareKeyChar(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 45
  );
}

function isBlank(char: string): boolean {
  return char === " " || char === "\t";
}
