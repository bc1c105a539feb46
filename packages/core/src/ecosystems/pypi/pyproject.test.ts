import { describe, expect, it } from "vitest";
import { catchError } from "../../__fixtures__/catch-error.js";
import { PolyglotError } from "../../errors.js";
import { readPyprojectInfo, updatePyproject, updatePyprojectVersion } from "./pyproject.js";
import { updatePythonDependencies } from "./python-deps.js";

const lines = (...rows: string[]): string => `${rows.join("\n")}\n`;

describe("updatePyprojectVersion", () => {
  it("sets [project].version, changing nothing else", () => {
    const text = lines(
      "[build-system]",
      'requires = ["hatchling"]',
      "",
      "[project]",
      'name = "event-forge-inbox-outbox"  # PyPI name',
      'version = "0.4.1"',
      'dependencies = ["pydantic>=2", "version-utils==0.4.1"]',
      "",
      "[tool.other]",
      'version = "0.4.1"',
    );
    const result = updatePyprojectVersion(text, "0.5.0rc1");
    expect(result.text).toBe(text.replace('version = "0.4.1"\ndep', 'version = "0.5.0rc1"\ndep'));
    expect(result.edits).toEqual([{ field: "project.version", from: "0.4.1", to: "0.5.0rc1" }]);
    expect(result.dynamic).toBeUndefined();
  });

  it("sets both [project].version and [tool.poetry].version when both exist", () => {
    const text = lines("[project]", "version='1.0.0'", "[tool.poetry]", 'version = "1.0.0"  # keep');
    const result = updatePyprojectVersion(text, "1.1.0");
    expect(result.text).toBe(
      lines("[project]", "version='1.1.0'", "[tool.poetry]", 'version = "1.1.0"  # keep'),
    );
    expect(result.edits.map((edit) => edit.field)).toEqual(["project.version", "tool.poetry.version"]);
  });

  it("sets only [tool.poetry].version in a Poetry 1 project and never adds [project].version", () => {
    const text = lines(
      "[tool.poetry]",
      'name = "demo"',
      'version = "1.0.0"',
      "",
      "[tool.poetry.dependencies]",
      'python = "^3.9"',
    );
    const result = updatePyprojectVersion(text, "2.0.0");
    expect(result.text).toBe(text.replace('version = "1.0.0"', 'version = "2.0.0"'));
    expect(result.text).not.toContain("[project]");
  });

  it("keeps CRLF, a BOM, dotted keys and inline tables", () => {
    const crlf = '\uFEFF[project]\r\nname = "x"\r\nversion = "1.0"\r\n';
    expect(updatePyprojectVersion(crlf, "1.1").text).toBe(
      '\uFEFF[project]\r\nname = "x"\r\nversion = "1.1"\r\n',
    );
    const dotted = lines('project.name = "x"', 'project.version = "1.0"');
    expect(updatePyprojectVersion(dotted, "1.1").text).toBe(
      lines('project.name = "x"', 'project.version = "1.1"'),
    );
    const inline = lines('project = { name = "x", version = "1.0" }');
    expect(updatePyprojectVersion(inline, "1.1").text).toBe(
      lines('project = { name = "x", version = "1.1" }'),
    );
  });

  it("is a no-op returning the same text when the version is already there", () => {
    const text = lines("[project]", 'version = "1.0.0"');
    expect(updatePyprojectVersion(text, "1.0.0")).toEqual({ text, edits: [] });
  });

  it("reports a dynamic version with its hatch source instead of editing", () => {
    const text = lines(
      "[project]",
      'name = "demo"',
      'dynamic = ["version"]',
      "[tool.hatch.version]",
      'path = "src/demo/__about__.py"',
    );
    const result = updatePyprojectVersion(text, "1.0.0");
    expect(result.text).toBe(text);
    expect(result.edits).toEqual([]);
    expect(result.dynamic).toEqual({
      dynamic: true,
      source: {
        kind: "hatch",
        paths: ["src/demo/__about__.py"],
        format: "assignment",
        variable: "__version__",
        setting: "tool.hatch.version.path",
        writable: true,
      },
    });
  });

  it("refuses a version that is not canonical PEP 440 and a non-string version", () => {
    expect(() => updatePyprojectVersion(lines("[project]", 'version = "1"'), "1.0.0-rc.1")).toThrow(
      PolyglotError,
    );
    const error = catchError(() =>
      updatePyprojectVersion(lines("[project]", "version = 1"), "1.0.0", { file: "py/pyproject.toml" }),
    );
    expect(error).toMatchObject({ file: "py/pyproject.toml", line: 2, setting: "project.version" });
  });

  it("reports invalid TOML with file and line", () => {
    const error = catchError(() =>
      updatePyprojectVersion(lines("[project", 'version = "1"'), "1.0.0", { file: "a/pyproject.toml" }),
    );
    expect(error).toMatchObject({ file: "a/pyproject.toml", line: 1 });
  });
});

describe("readPyprojectInfo", () => {
  it("reads name, versions, dependencies and extras", () => {
    const info = readPyprojectInfo(
      lines(
        "[project]",
        'name = "Demo_Pkg"',
        'version = "1.0"',
        'dependencies = ["a>=1", "b"]',
        "[project.optional-dependencies]",
        'test = ["pytest"]',
        "[tool.poetry]",
        'version = "1.0.0"',
      ),
    );
    expect(info).toEqual({
      name: "Demo_Pkg",
      nameSetting: "project.name",
      version: "1.0",
      poetryVersion: "1.0.0",
      dynamic: false,
      dependencies: ["a>=1", "b"],
      optionalDependencies: { test: ["pytest"] },
    });
  });

  it("reports [project].version and [tool.poetry].version that disagree", () => {
    const info = readPyprojectInfo(
      lines("[project]", 'version = "1.0.0"', "[tool.poetry]", 'version = "1.1.0"'),
    );
    expect(info.versionConflict).toEqual({ project: "1.0.0", poetry: "1.1.0" });
    expect(
      updatePyprojectVersion(lines("[project]", 'version = "1"', "[tool.poetry]", 'version = "2"'), "3")
        .versionConflict,
    ).toEqual({
      project: "1",
      poetry: "2",
    });
  });

  const dynamic = (...rows: string[]) =>
    lines("[project]", 'name = "my-pkg"', 'dynamic = ["version"]', ...rows);
  it.each([
    [
      "setuptools attr",
      dynamic("[tool.setuptools.dynamic]", 'version = { attr = "my_pkg.about.VERSION" }'),
      {
        kind: "setuptools",
        variable: "VERSION",
        format: "assignment",
        paths: [
          "my_pkg/about/__init__.py",
          "my_pkg/about.py",
          "src/my_pkg/about/__init__.py",
          "src/my_pkg/about.py",
        ],
        writable: true,
      },
    ],
    [
      "setuptools attr with package-dir",
      dynamic(
        "[tool.setuptools.package-dir]",
        '"" = "lib"',
        "[tool.setuptools.dynamic]",
        'version = { attr = "pkg.__version__" }',
      ),
      {
        paths: [
          "lib/pkg/__init__.py",
          "lib/pkg.py",
          "pkg/__init__.py",
          "pkg.py",
          "src/pkg/__init__.py",
          "src/pkg.py",
        ],
      },
    ],
    [
      "setuptools file",
      dynamic("[tool.setuptools.dynamic]", 'version = { file = "VERSION.txt" }'),
      { kind: "setuptools", format: "plain", paths: ["VERSION.txt"], writable: true },
    ],
    ["hatch-vcs", dynamic("[tool.hatch.version]", 'source = "vcs"'), { kind: "hatch-vcs", writable: false }],
    [
      "setuptools-scm",
      lines(
        "[build-system]",
        'requires = ["setuptools>=64", "setuptools-scm>=8"]',
        "[project]",
        'dynamic = ["version"]',
      ),
      { kind: "setuptools-scm", writable: false },
    ],
    [
      "pdm file",
      dynamic("[tool.pdm.version]", 'source = "file"', 'path = "src/my_pkg/__init__.py"'),
      { kind: "pdm", paths: ["src/my_pkg/__init__.py"], writable: true },
    ],
    [
      "maturin",
      lines(
        "[build-system]",
        'build-backend = "maturin"',
        "[project]",
        'dynamic = ["version"]',
        "[tool.maturin]",
        'manifest-path = "rust/Cargo.toml"',
      ),
      { kind: "maturin", paths: ["rust/Cargo.toml"], format: "cargo", writable: true },
    ],
    [
      "flit",
      lines(
        "[build-system]",
        'build-backend = "flit_core.buildapi"',
        "[project]",
        'name = "my-pkg"',
        'dynamic = ["version"]',
      ),
      { kind: "flit", paths: ["my_pkg/__init__.py", "my_pkg.py", "src/my_pkg/__init__.py", "src/my_pkg.py"] },
    ],
    [
      "Poetry 2 with [tool.poetry].version",
      dynamic("[tool.poetry]", 'version = "1.0.0"'),
      { kind: "poetry", paths: ["pyproject.toml"], writable: true },
    ],
    ["nothing known", dynamic(), { kind: "unknown", paths: [], writable: false }],
  ])("finds the dynamic version source: %s", (_case, text, expected) => {
    const info = readPyprojectInfo(text);
    expect(info.dynamic).toBe(true);
    expect(info.dynamicSource).toMatchObject(expected);
  });
});

describe("updatePyproject", () => {
  it("sets the version and moves dependencies in one pass, like the two updaters in a row", () => {
    const text = lines(
      "[project]",
      'name = "event-forge-nestjs"',
      'version = "1.2.0"',
      'dependencies = ["event-forge-core>=1.2.0", "requests"]',
      "[tool.poetry]",
      "version = '1.2.0'",
    );
    const dependencies = new Map([["event-forge-core", "1.3.0"]]);
    const combined = updatePyproject(text, { version: "1.3.0", dependencies });
    const own = updatePyprojectVersion(text, "1.3.0");
    const sequential = updatePythonDependencies(own.text, dependencies);
    expect(combined.text).toBe(sequential.text);
    expect(combined.edits).toEqual([...own.edits, ...sequential.edits]);
    expect(combined.edits).toHaveLength(3);
    expect(updatePyproject(text, {})).toEqual({ text, edits: [] });
  });
});

describe("integers above 2^53", () => {
  it("are valid TOML: the version moves and every other byte stays", () => {
    const text = '[project]\nname = "acme"\nversion = "1.0.0"\n\n[tool.acme]\nseed = 9007199254740993\n';
    const result = updatePyprojectVersion(text, "1.1.0");
    expect(result.text).toBe(text.replace('"1.0.0"', '"1.1.0"'));
  });
});
