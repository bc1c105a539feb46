import { spawnSync } from "node:child_process";
import { satisfies } from "@renovatebot/pep440";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolyglotError } from "../../errors.js";
import { moveRequirement, updatePythonDependencies } from "./python-deps.js";
import { moveClauseVersion, UnsatisfiableClause } from "./specifier.js";

const lines = (...rows: string[]): string => `${rows.join("\n")}\n`;

describe("moveClauseVersion", () => {
  it.each([
    ["==", "1.2.0", "1.3.0", "1.3.0"],
    ["==", "1.3.0", "1.3.0", undefined],
    ["==", "1.2", "1.3.0", "1.3"],
    ["==", "1.2", "1.3.1", "1.3.1"],
    ["==", "1.2.0", "1.3.0rc1", "1.3.0rc1"],
    ["===", "1.2.0", "1.3.0", "1.3.0"],
    [">=", "1.2.0", "1.3.0", "1.3.0"],
    [">=", "1.2", "1.3.0", "1.3"],
    [">=", "1.2", "2.0.0.dev5", "2.0.dev5"],
    [">=", "1.3", "1.3.0", undefined],
    ["~=", "1.2", "1.3.0", "1.3"],
    ["~=", "1.2", "1.2.7", undefined],
    ["~=", "1.2.0", "1.3.0", "1.3.0"],
    ["~=", "1.2", "1.3.0rc1", "1.3rc1"],
    ["==", "1.2.*", "1.3.0", "1.3.*"],
    ["==", "1.*", "1.3.0", undefined],
    ["==", "1.*", "2.0.0", "2.*"],
    ["<=", "1.2.0", "1.3.0", "1.3.0"],
    ["<=", "2.0", "1.3.0", undefined],
    ["<", "2", "1.3.0", undefined],
    ["<", "2", "2.0.0", "3"],
    ["<", "2", "2.0.0rc1", "3"],
    ["<", "1.3.0", "1.3.0", "1.3.1"],
    ["<", "1.3", "1.4.2", "1.5"],
    ["!=", "1.2.0", "1.3.0", undefined],
    [">", "1.2.0", "1.3.0", undefined],
  ])("%s%s for %s -> %s", (operator, written, target, expected) => {
    expect(moveClauseVersion(operator, written, target)).toBe(expected);
  });

  it.each([
    ["!=", "1.3.0"],
    ["!=", "1.3.*"],
    [">", "1.3.0"],
  ])("refuses %s%s, which excludes 1.3.0", (operator, written) => {
    expect(() => moveClauseVersion(operator, written, "1.3.0")).toThrow("excludes the new version");
  });

  it("leaves every moved release specifier satisfied by the new release", () => {
    const specifiers = [
      "==1.2.0",
      ">=1.2",
      "~=1.2",
      "~=1.2.0",
      "==1.*",
      "<=1.2.0",
      "<2",
      "<1.3.0",
      ">=1.0,<1.3",
    ];
    for (const target of ["1.3.0", "1.3.1", "2.0.0", "10.0.0"]) {
      for (const specifier of specifiers) {
        const moved = moveRequirement(`pkg${specifier}`, "pkg", target)!.slice(3);
        expect(satisfies(target, moved), `${specifier} -> ${moved} for ${target}`).toBe(true);
      }
    }
  });
});

describe("moveRequirement", () => {
  it.each([
    ["event-forge-core==1.2.0", "event-forge-core==1.3.0"],
    ["Event_Forge.Core >= 1.2.0 , < 2", "Event_Forge.Core >= 1.3.0 , < 2"],
    [
      "event-forge-core[redis,otel]~=1.2; python_version >= '3.9'",
      "event-forge-core[redis,otel]~=1.3; python_version >= '3.9'",
    ],
    ["event-forge-core (>=1.2.0,<1.3)", "event-forge-core (>=1.3.0,<1.4)"],
    ["event-forge-core", "event-forge-core"],
    [
      'event-forge-core==1.2.0 ; sys_platform == "linux" and python_version < "1.2"',
      'event-forge-core==1.3.0 ; sys_platform == "linux" and python_version < "1.2"',
    ],
  ])("%s -> %s", (requirement, expected) => {
    expect(moveRequirement(requirement, "event-forge-core", "1.3.0")).toBe(expected);
  });

  it("leaves other packages and direct references alone", () => {
    expect(moveRequirement("event-forge-core-extra==1.2.0", "event-forge-core", "1.3.0")).toBeUndefined();
    expect(
      moveRequirement("event-forge-core @ file:///x==1.2.0", "event-forge-core", "1.3.0"),
    ).toBeUndefined();
  });
});

describe("updatePythonDependencies", () => {
  const versions = new Map([["event-forge-core", "1.3.0"]]);

  it("moves dependencies, extras and dependency groups, splicing inside each string only", () => {
    const text = lines(
      "[project]",
      'name = "event-forge-nestjs"',
      'version = "1.2.0"',
      "dependencies = [",
      '  "Event_Forge.Core>=1.2.0",  # ours',
      "  'requests>=2',",
      '  "event-forge-core-extra==1.2.0",',
      "]",
      "[project.optional-dependencies]",
      "redis = ['event-forge-core[redis]==1.2.0; python_version>\"3.8\"']",
      "[dependency-groups]",
      'dev = ["event-forge-core~=1.2", { include-group = "lint" }]',
      'lint = ["ruff"]',
      "[tool.other]",
      'deps = ["event-forge-core==1.2.0"]',
    );
    const result = updatePythonDependencies(text, versions);
    expect(result.text).toBe(
      text
        .replace('"Event_Forge.Core>=1.2.0"', '"Event_Forge.Core>=1.3.0"')
        .replace("'event-forge-core[redis]==1.2.0;", "'event-forge-core[redis]==1.3.0;")
        .replace('"event-forge-core~=1.2"', '"event-forge-core~=1.3"'),
    );
    expect(result.edits).toEqual([
      { field: "project.dependencies[0]", from: "Event_Forge.Core>=1.2.0", to: "Event_Forge.Core>=1.3.0" },
      {
        field: "project.optional-dependencies.redis[0]",
        from: 'event-forge-core[redis]==1.2.0; python_version>"3.8"',
        to: 'event-forge-core[redis]==1.3.0; python_version>"3.8"',
      },
      { field: "dependency-groups.dev[0]", from: "event-forge-core~=1.2", to: "event-forge-core~=1.3" },
    ]);
  });

  it("moves Poetry constraints, string and table forms, and skips path dependencies", () => {
    const text = lines(
      "[tool.poetry.dependencies]",
      'python = "^3.9"',
      'event-forge-core = "^1.2.0"',
      "[tool.poetry.group.dev.dependencies]",
      'event_forge_core = { version = "~1.2", extras = ["redis"] }',
      "[tool.poetry.dev-dependencies]",
      'event-forge-core = { path = "../core", develop = true }',
    );
    const result = updatePythonDependencies(text, versions);
    expect(result.text).toBe(text.replace('"^1.2.0"', '"^1.3.0"').replace('"~1.2"', '"~1.3"'));
    expect(result.edits.map((edit) => edit.field)).toEqual([
      "tool.poetry.dependencies.event-forge-core",
      "tool.poetry.group.dev.dependencies.event_forge_core.version",
    ]);
  });

  it("keeps CRLF and a BOM and is a no-op when nothing names a synced package", () => {
    const text = '\uFEFF[project]\r\ndependencies = [\r\n  "event-forge-core==1.2.0",\r\n]\r\n';
    expect(updatePythonDependencies(text, versions).text).toBe(text.replace("1.2.0", "1.3.0"));
    const unrelated = lines("[project]", 'dependencies = ["requests"]');
    expect(updatePythonDependencies(unrelated, versions)).toEqual({ text: unrelated, edits: [] });
    expect(updatePythonDependencies(unrelated, new Map())).toEqual({ text: unrelated, edits: [] });
  });

  it("names file, line and the clause when the new version is excluded", () => {
    const text = lines("[project]", "dependencies = [", '  "event-forge-core>=1.0,!=1.3.0",', "]");
    let error: unknown;
    try {
      updatePythonDependencies(text, versions, { file: "py/pyproject.toml" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolyglotError);
    expect(error).toMatchObject({ file: "py/pyproject.toml", line: 3 });
    expect((error as PolyglotError).message).toContain("!=1.3.0");
  });
});

const PYTHON = "python3";
const hasPackaging =
  spawnSync(PYTHON, ["-c", "import packaging.specifiers"], { encoding: "utf8" }).status === 0;

describe.skipIf(!hasPackaging)("moved specifiers against Python's packaging", () => {
  it("admit the new version, and only clauses that exclude it are refused", () => {
    const release = fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
    );
    const written = fc
      .tuple(release, fc.integer({ min: 1, max: 3 }), fc.boolean())
      .map(([parts, size, wildcard]) => `${parts.slice(0, size).join(".")}${wildcard ? ".*" : ""}`);
    const clause = fc
      .tuple(fc.constantFrom("==", ">=", "<=", "<", ">", "~=", "!=", "==="), written)
      .filter(
        ([operator, version]) =>
          (!version.endsWith(".*") || operator === "==" || operator === "!=") &&
          (operator !== "~=" || version.split(".").length > 1),
      )
      .map(([operator, version]) => `${operator}${version}`);
    const target = fc
      .tuple(release, fc.constantFrom("", "rc1", "a2", ".dev3", "b1"))
      .map(([parts, suffix]) => `${parts.join(".")}${suffix}`);
    const cases = fc.sample(fc.tuple(fc.array(clause, { minLength: 1, maxLength: 3 }), target), {
      numRuns: 500,
      seed: 508,
    });
    const checked = cases.map(([clauses, version]) => {
      const requirement = `pkg${clauses.join(",")}`;
      try {
        return {
          original: requirement.slice(3),
          moved: moveRequirement(requirement, "pkg", version)!.slice(3),
          version,
        };
      } catch (error) {
        if (!(error instanceof UnsatisfiableClause)) throw error;
        return { original: requirement.slice(3), moved: null, version };
      }
    });
    const script = [
      "import json, sys",
      "from packaging.specifiers import SpecifierSet",
      "bad = []",
      "for case in json.load(sys.stdin):",
      "    if case['moved'] is None:",
      "        if SpecifierSet(case['original']).contains(case['version'], prereleases=True): bad.append(case)",
      "    elif not SpecifierSet(case['moved']).contains(case['version'], prereleases=True): bad.append(case)",
      "print(json.dumps(bad))",
    ].join("\n");
    const result = spawnSync(PYTHON, ["-c", script], { input: JSON.stringify(checked), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(checked.filter((entry) => entry.moved === null).length).toBeGreaterThan(0);
  });
});
