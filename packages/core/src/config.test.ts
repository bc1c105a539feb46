import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POLYGLOT_SCHEMA_PATH, readPolyglotConfig } from "./config.js";
import { PolyglotError } from "./errors.js";

const roots: string[] = [];

async function repoWithConfig(config?: string): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-config-"));
  roots.push(root);
  if (config !== undefined) {
    await mkdir(path.join(root, ".changeset"));
    await writeFile(path.join(root, ".changeset/polyglot.json"), config);
  }
  return root;
}

async function configError(config: string): Promise<PolyglotError> {
  const root = await repoWithConfig(config);
  const error = await readPolyglotConfig(root).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PolyglotError);
  expect(await readFile(path.join(root, ".changeset/polyglot.json"), "utf8")).toBe(config);
  return error as PolyglotError;
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

describe("readPolyglotConfig", () => {
  it("returns the defaults when .changeset/polyglot.json is absent", async () => {
    expect(await readPolyglotConfig(await repoWithConfig())).toEqual({
      targets: [],
      pep440: {},
      pypi: { index: "https://pypi.org" },
      crates: { registry: "https://crates.io", index: "sparse+https://index.crates.io/" },
    });
  });

  it("reads targets, pep440 and pypi and fills in the default index", async () => {
    const root = await repoWithConfig(
      JSON.stringify({
        $schema: "../node_modules/@polyglot-changesets/core/src/polyglot.schema.json",
        targets: [
          {
            path: "packages/python",
            versionFrom: "@event-forge/inbox-outbox-core",
            versionFiles: ["src/event_forge/__init__.py"],
            changelog: true,
          },
        ],
        pep440: { next: "rc", canary: "dev" },
        pypi: { workflow: "publish-pypi.yml" },
      }),
    );
    expect(await readPolyglotConfig(root)).toEqual({
      targets: [
        {
          path: "packages/python",
          versionFrom: "@event-forge/inbox-outbox-core",
          versionFiles: ["src/event_forge/__init__.py"],
          changelog: true,
        },
      ],
      pep440: { next: "rc", canary: "dev" },
      pypi: { index: "https://pypi.org", workflow: "publish-pypi.yml" },
      crates: { registry: "https://crates.io", index: "sparse+https://index.crates.io/" },
    });
  });

  it("reads a named crates registry (its index comes from .cargo/config.toml)", async () => {
    const root = await repoWithConfig('{ "crates": { "registry": "my-registry" } }');
    expect((await readPolyglotConfig(root)).crates).toEqual({
      registry: "my-registry",
      index: "sparse+https://index.crates.io/",
    });
  });

  it("rejects a crates index that is not a sparse URL, and an unknown crates key", async () => {
    const index = await configError('{ "crates": { "index": "https://index.crates.io/" } }');
    expect(index.setting).toBe("crates.index");
    expect(index.fix).toMatch(/sparse\+https:\/\/index\.crates\.io/);
    const unknown = await configError('{ "crates": { "registy": "x" } }');
    expect(unknown.setting).toBe("crates.registy");
    expect(unknown.fix).toMatch(/did you mean "registry"/);
  });

  it("accepts a UTF-8 BOM", async () => {
    const root = await repoWithConfig('\uFEFF{ "pep440": { "next": "rc" } }');
    expect((await readPolyglotConfig(root)).pep440).toEqual({ next: "rc" });
  });

  it("reports invalid JSON with line and column", async () => {
    const error = await configError('{\n  "targets": [],\n  "pep440": { "next": "rc", }\n}\n');
    expect(error.file).toBe(".changeset/polyglot.json");
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/invalid JSON at line 3, column \d+/);
    expect(error.fix).toMatch(/valid JSON/);
  });

  it("reports a folder in place of the file", async () => {
    const root = await repoWithConfig();
    await mkdir(path.join(root, ".changeset/polyglot.json"), { recursive: true });
    const error = (await readPolyglotConfig(root).catch((caught: unknown) => caught)) as PolyglotError;
    expect(error).toBeInstanceOf(PolyglotError);
    expect(error.file).toBe(".changeset/polyglot.json");
    expect(error.message).toBe(".changeset/polyglot.json is a folder, not a regular file");
    expect(error.fix).toMatch(/regular file inside the repo/);
  });

  it("reports an empty file", async () => {
    const error = await configError("");
    expect(error.message).toMatch(/empty/);
  });

  it("reports a non-object configuration", async () => {
    const error = await configError("[]");
    expect(error.message).toMatch(/must be a JSON object/);
  });

  it("catches a misspelt key and suggests the right one", async () => {
    const error = await configError(
      JSON.stringify(
        {
          targets: [
            { path: "a", versionFrom: "x" },
            { path: "b", versionFrom: "y", versionFile: ["v.py"] },
          ],
        },
        null,
        2,
      ),
    );
    expect(error.setting).toBe("targets[1].versionFile");
    expect(error.message).toBe('unknown setting "versionFile"');
    expect(error.fix).toMatch(/did you mean "versionFiles"\?/);
    expect(error.line).toBe(10);
  });

  it("catches an unknown top-level key", async () => {
    const error = await configError('{ "taregts": [] }');
    expect(error.setting).toBe("taregts");
    expect(error.fix).toMatch(/did you mean "targets"/);
  });

  it("names a misspelled required key as what it is, with its line, not as a missing one", async () => {
    const error = await configError(
      '{\n  "targets": [\n    { "path": "py", "versionfrom": "@a/core" }\n  ]\n}\n',
    );
    expect(error.message).toBe('unknown setting "versionfrom"');
    expect(error.fix).toMatch(/did you mean "versionFrom"\?/);
    expect(error.line).toBe(3);
  });

  it("names a missing versionFrom", async () => {
    const error = await configError('{ "targets": [{ "path": "py" }] }');
    expect(error.setting).toBe("targets[0].versionFrom");
    expect(error.message).toMatch(/missing the required setting "versionFrom"/);
    expect(error.fix).toMatch(/"versionFrom": "@scope\/core"/);
  });

  it("names a wrongly typed setting", async () => {
    const error = await configError(
      '{ "targets": [{ "path": "py", "versionFrom": "a", "changelog": "yes" }] }',
    );
    expect(error.setting).toBe("targets[0].changelog");
    expect(error.message).toBe("targets[0].changelog must be a boolean");
  });

  it("rejects a pep440 mapping to an unknown tag", async () => {
    const error = await configError('{ "pep440": { "next": "beta" } }');
    expect(error.setting).toBe("pep440.next");
    expect(error.message).toMatch(/must be one of "a", "b", "rc", "dev"/);
  });

  it("rejects an absolute target path", async () => {
    const error = await configError('{ "targets": [{ "path": "/abs/py", "versionFrom": "a" }] }');
    expect(error.setting).toBe("targets[0].path");
    expect(error.fix).toMatch(/relative to the repo root/);
  });

  it("rejects an index that is not a URL", async () => {
    const error = await configError('{ "pypi": { "index": "pypi.org" } }');
    expect(error.setting).toBe("pypi.index");
    expect(error.fix).toMatch(/https:\/\/pypi.org/);
  });

  it("rejects two targets with the same path", async () => {
    const error = await configError(
      '{ "targets": [{ "path": "py", "versionFrom": "a" }, { "path": "py/", "versionFrom": "b" }] }',
    );
    expect(error.setting).toBe("targets[1].path");
    expect(error.message).toMatch(/repeats the path/);
  });
});

describe("polyglot.schema.json", () => {
  it("is shipped as JSON with additionalProperties false at every level", async () => {
    const schema = JSON.parse(await readFile(POLYGLOT_SCHEMA_PATH, "utf8"));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.definitions.target.additionalProperties).toBe(false);
    expect(schema.properties.pypi.additionalProperties).toBe(false);
    expect(schema.properties.crates.additionalProperties).toBe(false);
  });

  it("is compiled into the committed validator (run node scripts/generate-schema-validator.mjs after a change)", async () => {
    const generator = "../../../scripts/generate-schema-validator.mjs";
    const { validatorSource, VALIDATOR_FILE } = await import(generator);
    expect(await readFile(VALIDATOR_FILE, "utf8")).toBe(validatorSource());
  });

  it("keeps ajv's minLength (code points, via ajv's runtime helper) in the compiled validator", async () => {
    // A one-emoji workflow name is one code point: valid; an empty one is refused by minLength.
    await expect(
      readPolyglotConfig(await repoWithConfig('{ "pypi": { "workflow": "\ud83d\ude80" } }')),
    ).resolves.toBeDefined();
    const error = await configError('{ "pypi": { "workflow": "" } }');
    expect(error.setting).toBe("pypi.workflow");
  });
});
