import { parse, TomlError, type TomlTable } from "smol-toml";
import { PolyglotError } from "./errors.js";

/** Parses a TOML manifest; a syntax error names the file, the line and what is wrong there. */
export function parseTomlManifest(text: string, relativeFile: string): TomlTable {
  try {
    return parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const problem = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw new PolyglotError(`invalid TOML: ${problem} (column ${error.column})`, {
      file: relativeFile,
      line: error.line,
      fix: `fix the TOML syntax at line ${error.line}; nothing was written`,
    });
  }
}

/** The table at `keys` (e.g. `["tool", "poetry"]`), or undefined when any step is missing or not a table. */
export function tableAt(root: TomlTable, ...keys: string[]): TomlTable | undefined {
  let current: unknown = root;
  for (const key of keys) {
    if (!isTable(current)) return undefined;
    current = current[key];
  }
  return isTable(current) ? current : undefined;
}

export function isTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function stringAt(table: TomlTable | undefined, key: string): string | undefined {
  const value = table?.[key];
  return typeof value === "string" ? value : undefined;
}
