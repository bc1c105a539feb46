import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolyglotError } from "../errors.js";
import { RepoFiles } from "../repo-files.js";
import type { RegistryHttp } from "./adapter.js";
import { adapterFor, ecosystemAdapters } from "./adapters.js";

/** A stand-in for the caller's HTTP layer: answers from a table of URL -> [status, JSON body]. */
function http(answers: Record<string, [number, unknown]>, requested: string[] = []): RegistryHttp {
  return {
    async get(url) {
      requested.push(url);
      const answer = answers[url];
      if (!answer) throw new Error("ECONNREFUSED 127.0.0.1:1");
      return { status: answer[0], json: () => ({ ok: true, value: answer[1] }) };
    },
    redact: (url) => url.replace(/\/\/[^@/]*@/, "//***@"),
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("ecosystemAdapters", () => {
  it("registers one adapter per ecosystem, each found by its name", () => {
    const names = ecosystemAdapters.map((adapter) => adapter.ecosystem);
    expect(names).toEqual(["pypi", "cargo"]);
    for (const name of names) expect(adapterFor(name).ecosystem).toBe(name);
    expect(() => adapterFor("maven")).toThrow(/no adapter for the ecosystem maven/);
  });
});

describe("crates.io lookup (cargo adapter)", () => {
  const { registry } = adapterFor("cargo");
  const url = "https://crates.io/api/v1/crates/x0x-core/0.3.0";

  it("is present only when the API answers this crate and version, missing on 404", async () => {
    const requested: string[] = [];
    const answers = { [url]: [200, { version: { crate: "x0x-core", num: "0.3.0" } }] as [number, unknown] };
    const query = { index: "https://crates.io/", name: "x0x-core", version: "0.3.0" };
    expect(await registry.versionState(query, http(answers, requested))).toBe("present");
    expect(requested).toEqual([url]);
    expect(await registry.versionState(query, http({ [url]: [404, {}] }))).toBe("missing");
  });

  it("refuses another crate's answer, a server error and no answer, redacting the index", async () => {
    const query = { index: "https://user:secret@crates.example", name: "x0x-core", version: "0.3.0" };
    const other = "https://user:secret@crates.example/api/v1/crates/x0x-core/0.3.0";
    const wrong = http({ [other]: [200, { version: { crate: "evil", num: "0.3.0" } }] });
    const error = await registry.versionState(query, wrong).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).code).toBe("registry-lookup-failed");
    expect((error as PolyglotError).message).toBe(
      'cannot look up x0x-core 0.3.0 on https://***@crates.example: answered the crate "evil" instead of x0x-core',
    );
    await expect(registry.versionState(query, http({ [other]: [500, {}] }))).rejects.toThrow(/HTTP 500/);
    await expect(registry.versionState(query, http({}))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("registry names of a bridge folder (for changelogs)", () => {
  it("reads [project].name / [tool.poetry].name and [package].name; none without a manifest", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "polyglot-adapters-"));
    dirs.push(dir);
    // A fresh RepoFiles per read: a RepoFiles remembers what it resolved (one run sees one state of the repo).
    const read = (file: string) => new RepoFiles(dir).read(file);
    expect(adapterFor("pypi").registry.nameInFolder(dir, read)).toBeUndefined();
    await writeFile(path.join(dir, "pyproject.toml"), '[tool.poetry]\nname = "acme-py"\n');
    await writeFile(path.join(dir, "Cargo.toml"), '[package]\nname = "acme-rs"\nversion = "1.0.0"\n');
    expect(adapterFor("pypi").registry.nameInFolder(dir, read)).toBe("acme-py");
    expect(adapterFor("cargo").registry.nameInFolder(dir, read)).toBe("acme-rs");
    expect(adapterFor("pypi").registry.displayName).toBe("PyPI");
    expect(adapterFor("cargo").registry.displayName).toBe("crates.io");
  });
});
