import { describe, expect, it } from "vitest";
import { updateUvLock } from "./uv-lock.js";

const lines = (...rows: string[]): string => `${rows.join("\n")}\n`;

const UV_LOCK = lines(
  "version = 1",
  "revision = 2",
  'requires-python = ">=3.10"',
  "",
  "[manifest]",
  'members = ["event-forge-core", "event-forge-nestjs"]',
  "",
  "[[package]]",
  'name = "event-forge-core"',
  'version = "1.2.0"',
  'source = { editable = "packages/core" }',
  "dependencies = [",
  '    { name = "pydantic" },',
  "]",
  "",
  "[package.metadata]",
  'requires-dist = [{ name = "pydantic", specifier = ">=2" }]',
  "",
  "[[package]]",
  'name = "event-forge-nestjs"',
  'version = "1.2.0"',
  'source = { virtual = "." }',
  "dependencies = [",
  '    { name = "event-forge-core", editable = "packages/core" },',
  "]",
  "",
  "[package.metadata]",
  'requires-dist = [{ name = "event-forge-core", editable = "packages/core", specifier = ">=1.2.0" }]',
  "",
  "[package.metadata.requires-dev]",
  'dev = [{ name = "event-forge-core", specifier = "~=1.2" }]',
  "",
  "[[package]]",
  'name = "event-forge-core"',
  'version = "1.2.0"',
  'source = { registry = "https://pypi.org/simple" }',
  'sdist = { url = "https://files.example/event_forge_core-1.2.0.tar.gz", hash = "sha256:00" }',
  "",
  "[[package]]",
  'name = "pydantic"',
  'version = "1.2.0"',
  'source = { registry = "https://pypi.org/simple" }',
  "",
  "[[package]]",
  'name = "local-tool"',
  'version = "0.1.0"',
  'source = { directory = "tools/local" }',
  "",
  "[[package]]",
  'name = "dynamic-one"',
  'source = { editable = "packages/dynamic" }',
);

describe("updateUvLock", () => {
  it("sets the version of local members only and moves their requires-dist specifiers", () => {
    const members = new Map([
      ["event-forge-core", "1.3.0"],
      ["event-forge-nestjs", "1.3.0"],
      ["local-tool", "0.2.0"],
      ["dynamic-one", "5.0"],
    ]);
    const result = updateUvLock(UV_LOCK, members);
    const expected = UV_LOCK.replace(
      'name = "event-forge-core"\nversion = "1.2.0"\nsource = { editable',
      'name = "event-forge-core"\nversion = "1.3.0"\nsource = { editable',
    )
      .replace(
        'name = "event-forge-nestjs"\nversion = "1.2.0"',
        'name = "event-forge-nestjs"\nversion = "1.3.0"',
      )
      .replace('specifier = ">=1.2.0" }]', 'specifier = ">=1.3.0" }]')
      .replace('specifier = "~=1.2" }]', 'specifier = "~=1.3" }]')
      .replace('version = "0.1.0"', 'version = "0.2.0"');
    expect(result.text).toBe(expected);
    expect(result.text).toContain('version = "1.2.0"\nsource = { registry');
    expect(result.edits).toEqual([
      { field: "package[event-forge-core].version", from: "1.2.0", to: "1.3.0" },
      { field: "package[event-forge-nestjs].version", from: "1.2.0", to: "1.3.0" },
      {
        field: "package[event-forge-nestjs].metadata.requires-dist[0].specifier",
        from: ">=1.2.0",
        to: ">=1.3.0",
      },
      {
        field: "package[event-forge-nestjs].metadata.requires-dev.dev[0].specifier",
        from: "~=1.2",
        to: "~=1.3",
      },
      { field: "package[local-tool].version", from: "0.1.0", to: "0.2.0" },
    ]);
  });

  it("keeps CRLF and is a no-op for unknown names or no members", () => {
    const crlf = UV_LOCK.replace(/\n/g, "\r\n");
    expect(updateUvLock(crlf, new Map([["event-forge-core", "1.3.0"]])).text).toBe(
      crlf.replace('version = "1.2.0"\r\nsource = { editable', 'version = "1.3.0"\r\nsource = { editable'),
    );
    expect(updateUvLock(UV_LOCK, new Map([["other", "1.0"]]))).toEqual({ text: UV_LOCK, edits: [] });
    expect(updateUvLock(UV_LOCK, new Map())).toEqual({ text: UV_LOCK, edits: [] });
    expect(updateUvLock(UV_LOCK, new Map([["event-forge-core", "1.2.0"]]))).toEqual({
      text: UV_LOCK,
      edits: [],
    });
  });
});
