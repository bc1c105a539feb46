import { describe, expect, it } from "vitest";
import { catchError } from "../../__fixtures__/catch-error.js";
import { readSetupPyInfo, updateSetupPy } from "./setup-py.js";

const SETUP_PY = `# -*- coding: utf-8 -*-
import setuptools

def setup(**kwargs):  # a local helper, not the call
    pass

setuptools.setup(
    name="livekit-plugins-foo",  # the "version=" in this comment is not a keyword
    version='1.2.0',
    description="""version="9.9.9" inside a docstring""",
    install_requires=["livekit-agents>=1.2.0", dict(version="0.0.1")],
)
`;

describe("readSetupPyInfo", () => {
  it("reads the literal name and version keywords of the setup() call only", () => {
    const info = readSetupPyInfo(SETUP_PY);
    expect(info.hasSetupCall).toBe(true);
    expect(info.name).toMatchObject({ kind: "literal", value: "livekit-plugins-foo", line: 8 });
    expect(info.version).toMatchObject({ kind: "literal", value: "1.2.0", line: 9 });
  });

  it("reports a computed version as an expression (livekit/agents reads it from version.py)", () => {
    const info = readSetupPyInfo('setup(name="a", version=about["__version__"])\n');
    expect(info.version).toEqual({ kind: "expression", text: 'about["__version__"]', line: 1 });
    expect(readSetupPyInfo('setup(version=f"{V}")').version?.kind).toBe("expression");
    expect(readSetupPyInfo('setup(version="1." "0")').version?.kind).toBe("expression");
    expect(readSetupPyInfo("import x\n").hasSetupCall).toBe(false);
  });
});

describe("updateSetupPy", () => {
  it("changes only the version bytes, keeping the quotes", () => {
    const result = updateSetupPy(SETUP_PY, "1.3.0b2", { file: "setup.py" });
    expect(result.text).toBe(SETUP_PY.replace("version='1.2.0'", "version='1.3.0b2'"));
    expect(result.edits).toEqual([{ field: "setup().version", from: "1.2.0", to: "1.3.0b2" }]);
  });

  it("refuses a computed version with a fix that names versionFiles and never [project]", () => {
    const error = catchError(() =>
      updateSetupPy("setup(\n  version=get_version(),\n)\n", "1.0.0", { file: "py/setup.py" }),
    );
    expect(error.file).toBe("py/setup.py");
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/version=get_version\(\)/);
    expect(error.fix).toMatch(/versionFiles/);
    expect(error.fix).not.toMatch(/\[project\]/);
  });
});
