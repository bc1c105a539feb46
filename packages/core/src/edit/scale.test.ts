import { describe, expect, it } from "vitest";
import { updateCargoLock, updateCargoToml } from "../ecosystems/cargo/edit.js";
import { updatePyprojectVersion } from "../ecosystems/pypi/pyproject.js";
import { updatePythonDependencies } from "../ecosystems/pypi/python-deps.js";
import { updateUvLock } from "../ecosystems/pypi/uv-lock.js";
import { updateVersionFile } from "../ecosystems/pypi/version-file.js";

const TARGETS = 1000;

function pyproject(index: number): string {
  return [
    "[build-system]",
    'requires = ["hatchling"]',
    'build-backend = "hatchling.build"',
    "",
    "[project]",
    `name = "pkg-${index}"`,
    'version = "1.2.0"',
    'description = """A package',
    'version = "0.0.0" in a string"""',
    "dependencies = [",
    `  "pkg-${(index + 1) % TARGETS}>=1.2.0",`,
    '  "requests>=2.31",',
    "]",
    "",
    "[project.optional-dependencies]",
    `test = ["pytest>=8", "pkg-${(index + 2) % TARGETS}[extra]==1.2.0; python_version >= '3.10'"]`,
    "",
    "[tool.ruff]",
    "line-length = 110",
    "",
  ].join("\n");
}

// Speed is measured by scripts/bench (sync of 1,000 targets as a process), not by timed tests: this file
// proves the updaters stay correct at that size.
describe("at scale", () => {
  it(`updates ${TARGETS} pyproject targets, their version files and Cargo manifests `, () => {
    const versions = new Map(Array.from({ length: TARGETS }, (_, index) => [`pkg-${index}`, "1.3.0rc1"]));
    const inputs = Array.from({ length: TARGETS }, (_, index) => pyproject(index));
    const sync = () => {
      let edits = 0;
      for (const text of inputs) {
        const own = updatePyprojectVersion(text, "1.3.0rc1");
        const deps = updatePythonDependencies(own.text, versions);
        const file = updateVersionFile('"""Docs."""\n__version__ = "1.2.0"\n', "1.3.0rc1");
        edits += own.edits.length + deps.edits.length + file.edits.length;
      }
      return edits;
    };
    expect(sync()).toBe(TARGETS * 4);
  });

  it(`updates a uv.lock and a Cargo.lock of ${TARGETS} packages`, () => {
    const entries = Array.from({ length: TARGETS }, (_, index) =>
      [
        `[[package]]`,
        `name = "pkg-${index}"`,
        'version = "1.2.0"',
        `source = { editable = "packages/pkg-${index}" }`,
        "",
      ].join("\n"),
    );
    const uvLock = `version = 1\n\n${entries.join("\n")}`;
    const cargoLock = `version = 4\n\n${entries.map((entry) => entry.replace(/source = .*\n/, "")).join("\n")}`;
    const members = new Map(Array.from({ length: TARGETS }, (_, index) => [`pkg-${index}`, "1.3.0"]));
    expect(updateUvLock(uvLock, members).edits).toHaveLength(TARGETS);
    expect(updateCargoLock(cargoLock, members).edits).toHaveLength(TARGETS);
    expect(updateCargoToml('[package]\nname = "x"\nversion = "1.2.0"\n', "1.3.0").edits).toHaveLength(1);
  });
});
