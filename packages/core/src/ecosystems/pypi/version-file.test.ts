import { describe, expect, it } from "vitest";
import { catchError } from "../../__fixtures__/catch-error.js";
import { PolyglotError } from "../../errors.js";
import { readVersionAssignment, updatePlainVersionFile, updateVersionFile } from "./version-file.js";

const lines = (...rows: string[]): string => `${rows.join("\n")}\n`;

describe("updateVersionFile", () => {
  it.each([
    ['__version__ = "1.2.0"', '__version__ = "1.3.0rc1"'],
    ["__version__ = '1.2.0'", "__version__ = '1.3.0rc1'"],
    ['__version__="1.2.0"  # bumped by CI', '__version__="1.3.0rc1"  # bumped by CI'],
    ["__version__: str = '1.2.0'", "__version__: str = '1.3.0rc1'"],
    ['__version__: Final[str] = "1.2.0"', '__version__: Final[str] = "1.3.0rc1"'],
    ['__version__ = version = "1.2.0"', '__version__ = version = "1.3.0rc1"'],
  ])("%s -> %s", (line, expected) => {
    const text = lines('"""Event Forge."""', "", "from x import y", "", line, "", "__all__ = ['y']");
    const result = updateVersionFile(text, "1.3.0rc1");
    expect(result.text).toBe(text.replace(line, expected));
    expect(result.edits).toEqual([{ field: "__version__", from: "1.2.0", to: "1.3.0rc1" }]);
  });

  it("keeps CRLF and a BOM, also on the first line", () => {
    expect(updateVersionFile('\uFEFF__version__ = "1.0"\r\nx = 1\r\n', "2.0").text).toBe(
      '\uFEFF__version__ = "2.0"\r\nx = 1\r\n',
    );
  });

  it("ignores indented assignments, other names, comments and docstrings", () => {
    const text = lines(
      '"""Usage:',
      '__version__ = "0.0.0"',
      '"""',
      "# __version__ = '0.0.1'",
      "if TYPE_CHECKING:",
      '    __version__ = "0.0.2"',
      "__version_tuple__ = (1, 2, 0)",
      'my__version__ = "0.0.3"',
      "x = '''",
      '__version__ = "0.0.4"',
      "'''",
      '__version__ = "1.2.0"',
    );
    expect(readVersionAssignment(text)).toMatchObject({ version: "1.2.0", line: 12 });
  });

  it("is a no-op when the version is already written", () => {
    const text = lines('__version__ = "1.2.0"');
    expect(updateVersionFile(text, "1.2.0")).toEqual({ text, edits: [] });
  });

  it("writes another variable when asked (setuptools attr)", () => {
    const text = lines('VERSION = "1.0"', "__version__ = VERSION");
    expect(updateVersionFile(text, "1.1", { variable: "VERSION" }).text).toBe(
      lines('VERSION = "1.1"', "__version__ = VERSION"),
    );
  });

  it("requires exactly one assignment", () => {
    const none = catchError(() =>
      updateVersionFile(lines("__version__ = get_version()"), "1.0", { file: "src/pkg/__init__.py" }),
    );
    expect(none.message).toContain('no __version__ = "..." line');
    expect(none.file).toBe("src/pkg/__init__.py");
    const two = catchError(() => updateVersionFile(lines('__version__ = "1"', '__version__ = "2"'), "3"));
    expect(two.message).toContain("lines 1, 2");
    expect(two.line).toBe(2);
  });
});

describe("updatePlainVersionFile", () => {
  it("replaces the version and keeps whitespace and BOM", () => {
    expect(updatePlainVersionFile("1.2.0\n", "1.3.0")).toEqual({
      text: "1.3.0\n",
      edits: [{ field: "version", from: "1.2.0", to: "1.3.0" }],
    });
    expect(updatePlainVersionFile("\uFEFF 1.2.0 \r\n", "1.3.0").text).toBe("\uFEFF 1.3.0 \r\n");
    expect(updatePlainVersionFile("1.3.0", "1.3.0")).toEqual({ text: "1.3.0", edits: [] });
  });

  it("refuses a file with more than the version", () => {
    expect(() => updatePlainVersionFile("version: 1.2.0\n", "1.3.0")).toThrow(PolyglotError);
  });
});
