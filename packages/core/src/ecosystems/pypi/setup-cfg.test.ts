import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catchError } from "../../__fixtures__/catch-error.js";
import { parseSetupCfg, readSetupCfgInfo, updateSetupCfg } from "./setup-cfg.js";

const SETUP_CFG = `; written by hand
[metadata]
name = livekit-plugins-foo
Version: 1.2.0
description = a # is part of a value, not a comment
long_description =
    first line
    # a comment inside a continuation
    second line

[options]
package_dir =
    =src
`;

describe("parseSetupCfg", () => {
  it("reads sections, = and :, lower-cased keys and continuation lines as configparser does", () => {
    const entries = parseSetupCfg(SETUP_CFG);
    expect(entries.map(({ section, key, value }) => [section, key, value])).toEqual([
      ["metadata", "name", "livekit-plugins-foo"],
      ["metadata", "version", "1.2.0"],
      ["metadata", "description", "a # is part of a value, not a comment"],
      ["metadata", "long_description", "first line\nsecond line"],
      ["options", "package_dir", "=src"],
    ]);
  });

  it("refuses a line that is neither a section, a key nor a continuation, naming the line", () => {
    const error = catchError(() =>
      parseSetupCfg("[metadata]\nname = x\n= nothing\n", { file: "a/setup.cfg" }),
    );
    expect(error.file).toBe("a/setup.cfg");
    expect(error.line).toBe(3);
  });
});

describe("readSetupCfgInfo", () => {
  it("a literal version, the name and the root package folder", () => {
    expect(readSetupCfgInfo(SETUP_CFG)).toEqual({
      name: "livekit-plugins-foo",
      version: { kind: "literal", value: "1.2.0", line: 4 },
      packageRoot: "src",
    });
  });

  it("setuptools' attr: and file: directives", () => {
    expect(readSetupCfgInfo("[metadata]\nversion = attr: acme.about.__version__\n").version).toEqual({
      kind: "attr",
      module: "acme.about",
      variable: "__version__",
      line: 2,
    });
    expect(readSetupCfgInfo("[metadata]\nversion = file: VERSION\n").version).toEqual({
      kind: "file",
      paths: ["VERSION"],
      line: 2,
    });
  });
});

describe("updateSetupCfg", () => {
  it("changes only the version bytes (CRLF, BOM, key case and the : delimiter kept)", () => {
    const text = `\uFEFF${SETUP_CFG.replace(/\n/g, "\r\n")}`;
    const result = updateSetupCfg(text, "1.3.0rc1", { file: "setup.cfg" });
    expect(result.text).toBe(text.replace("Version: 1.2.0", "Version: 1.3.0rc1"));
    expect(result.edits).toEqual([{ field: "metadata.version", from: "1.2.0", to: "1.3.0rc1" }]);
    expect(updateSetupCfg(result.text, "1.3.0rc1").edits).toEqual([]);
  });

  it("finds an indented key right after a section header, as configparser does", () => {
    const text = "[metadata]\n  version = 1.2.0\n  name = x\n";
    expect(updateSetupCfg(text, "1.3.0").text).toBe("[metadata]\n  version = 1.3.0\n  name = x\n");
  });

  it("keeps trailing spaces and a version in another section untouched", () => {
    const text = "[other]\nversion = 9\n[metadata]\nversion = 1.2.0  \n";
    expect(updateSetupCfg(text, "2.0.0").text).toBe("[other]\nversion = 9\n[metadata]\nversion = 2.0.0  \n");
  });

  it("refuses a setup.cfg whose version is not written in it, and a non-canonical version", () => {
    expect(
      catchError(() => updateSetupCfg("[metadata]\nversion = attr: a.__version__\n", "1.0.0")).setting,
    ).toBe("metadata.version");
    expect(catchError(() => updateSetupCfg("[metadata]\nname = a\n", "1.0.0")).fix).toMatch(
      /version = 0\.0\.0/,
    );
    expect(catchError(() => updateSetupCfg("[metadata]\nversion = 1\n", "1.0.0-rc.1")).message).toMatch(
      /canonical PEP 440/,
    );
  });
});

describe("updateSetupCfg, property", () => {
  const line = fc.oneof(
    fc.constantFrom("# comment version = 0.0.1", "; version = 9", "", "   ", "long_description ="),
    fc.constantFrom("    continued version = 7", "description = a: b = c # d", "License: MIT"),
    fc.stringMatching(/^[a-z_]{1,8} ?[=:] ?[ -~]{0,12}$/).filter((text) => !/^version/i.test(text)),
  );
  it("changes exactly the version bytes, whatever surrounds them", () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 6 }),
        fc.array(line, { maxLength: 6 }),
        fc.constantFrom("\n", "\r\n"),
        fc.constantFrom("version = ", "Version:", "version\t=  "),
        (before, after, eol, key) => {
          const head = ["[metadata]", ...before, key].join(eol);
          const tail = [
            "",
            ...after.map((text) => text.replace(/^\s+/, "")),
            "[other]",
            "version = 1.2.0",
            "",
          ].join(eol);
          const text = `${head}1.2.0${tail}`;
          expect(updateSetupCfg(text, "2.0.0rc1").text).toBe(`${head}2.0.0rc1${tail}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
