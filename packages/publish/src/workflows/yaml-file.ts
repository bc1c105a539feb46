// A CI file parsed with the `yaml` library: plain values for the checks, and the line of any value or key for
// the finding that points at it.

import { describeUntrusted } from "@polyglot-changesets/core";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

export type YamlPath = readonly (string | number)[];

export interface YamlFile {
  /** Repo-relative path with `/` separators, e.g. `.github/workflows/release.yml`. */
  file: string;
  /** The document as plain data (`undefined` when it could not be parsed). */
  data: unknown;
  /** The first parse error, with its line. */
  error?: { message: string; line: number };
  /** The 1-based line of the key at `path` (or of the value, for sequence items); the closest ancestor's when absent. */
  lineOf(path: YamlPath): number;
}

/** Parses one CI file; YAML 1.2 core schema, so `on:` stays the string key "on". */
export function parseYamlFile(file: string, text: string): YamlFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => counter.linePos(offset).line;
  const [first] = doc.errors;
  if (first) {
    return {
      file,
      data: undefined,
      error: { message: first.message.split("\n")[0] ?? first.message, line: lineAt(first.pos[0]) },
      lineOf: () => 1,
    };
  }
  return {
    file,
    data: doc.toJS({ maxAliasCount: 100 }),
    lineOf: (path) => lineAt(offsetOf(doc.contents, path)),
  };
}

function offsetOf(root: unknown, path: YamlPath): number {
  let node = root as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
      );
      if (!pair) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/** A plain object (a YAML mapping), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * A value from a CI file (a job id, a trigger, an action reference) as findings quote it: CI files are repo
 * content, so anything beyond the characters such names use is described, never echoed.
 */
export function quoted(value: unknown): string {
  const text = String(value);
  if (/^[\w.@/:^~<>=*+-]{1,120}$/.test(text)) return text;
  return `(${describeUntrusted(text)})`;
}
