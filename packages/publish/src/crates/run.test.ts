import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { crateLayers } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import { rememberSecrets } from "../http.js";
import { cargoChildEnv } from "./auth.js";
import type { CrateVersions } from "./index.js";
import type { CrateRelease } from "./plan.js";
import type { CratesRegistry } from "./registry.js";
import { publishCrateLayers } from "./run.js";

const registry: CratesRegistry = {
  cargoName: "testkit",
  index: "sparse+http://127.0.0.1:9/index/",
  api: "http://127.0.0.1:9",
  tokenEnv: "CARGO_REGISTRIES_TESTKIT_TOKEN",
  audience: "127.0.0.1",
  cargoEnv: {},
  isCratesIo: false,
};

function release(name: string, needs: string[] = []): CrateRelease {
  return {
    name,
    version: "1.0.0",
    path: `crates/${name}`,
    dir: tmpdir(),
    source: `${name}-npm`,
    firstPublish: false,
    needs,
  };
}

/** A stand-in cargo: a script that prints `output` and exits with `code`, recording its arguments. */
function fakeCargo(code: number, output = ""): { path: string; calls: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "fake-cargo-"));
  const calls = path.join(dir, "calls");
  const file = path.join(dir, "cargo");
  writeFileSync(file, `#!/bin/sh\necho "$@" >> "${calls}"\nprintf '%s\\n' '${output}' >&2\nexit ${code}\n`);
  chmodSync(file, 0o755);
  return { path: file, calls };
}

function index(visible: Record<string, boolean>): (index: string, name: string) => Promise<CrateVersions> {
  return async (_index, name) => ({ exists: true, versions: new Set(visible[name] ? ["1.0.0"] : []) });
}

const crates = [release("a"), release("b", ["a"]), release("c", ["b"])];
const options = {
  crates,
  layers: crateLayers(crates),
  registry,
  env: {},
  cargoFlags: ["--no-verify" as const],
  waitSeconds: 1,
  log: new PassThrough(),
  sleep: async () => {},
};

describe("publishCrateLayers", () => {
  it("skips a crate whose version another run published meanwhile (published-elsewhere), without cargo", async () => {
    const cargo = fakeCargo(0);
    const seen = new Set<string>(["a"]);
    const results = await publishCrateLayers({
      ...options,
      cargo: cargo.path,
      lookup: async (_index, name) => ({ exists: true, versions: new Set(seen.has(name) ? ["1.0.0"] : []) }),
      // What the fake cargo "published" is in the index after the first poll.
      sleep: async () => {
        for (const line of readFileSync(cargo.calls, "utf8").split("\n")) seen.add(line.split(" ")[2] ?? "");
      },
    });
    expect(results.map((result) => [result.release.name, result.outcome])).toEqual([
      ["a", "elsewhere"],
      ["b", "published"],
      ["c", "published"],
    ]);
  });

  it("passes cargo's flags and the registry; a failure stops the later layers", async () => {
    const cargo = fakeCargo(101, "error: failed to publish: HTTP 503");
    const results = await publishCrateLayers({ ...options, cargo: cargo.path, lookup: index({}) });
    expect(results.map((result) => result.outcome)).toEqual(["failed", "skipped", "skipped"]);
    expect(results[0]?.detail).toContain("HTTP 503");
    expect(results[0]?.code).toBe("crates-publish-error");
    expect(readFileSync(cargo.calls, "utf8")).toBe("publish -p a --registry testkit --no-verify\n");
  });

  it("reads cargo's 'already exists' as a skip when the index has the version", async () => {
    const cargo = fakeCargo(101, "error: crate a@1.0.0 already exists on `testkit` index");
    let asked = 0;
    const results = await publishCrateLayers({
      ...options,
      crates: [release("a")],
      layers: [["a"]],
      cargo: cargo.path,
      // Not there at the first look, there once cargo says so.
      lookup: async () => ({ exists: true, versions: new Set(asked++ === 0 ? [] : ["1.0.0"]) }),
    });
    expect(results.map((result) => result.outcome)).toEqual(["elsewhere"]);
  });

  it("fails a crate that does not show up in the index within --crates-wait, naming it; dependents wait", async () => {
    const cargo = fakeCargo(0);
    const results = await publishCrateLayers({
      ...options,
      waitSeconds: 0,
      cargo: cargo.path,
      lookup: index({}),
    });
    expect(results.map((result) => result.outcome)).toEqual(["failed", "skipped", "skipped"]);
    expect(results[0]?.detail).toMatch(/not in the index after 0 s \(--crates-wait\)/);
    expect(results[0]?.code).toBe("crates-not-visible");
  });
});

describe("cargo's output", () => {
  it("is redacted even when a secret arrives split across two writes", async () => {
    const secret = "cio_trusted-publish-token-0123456789";
    rememberSecrets([secret]);
    const dir = mkdtempSync(path.join(tmpdir(), "fake-cargo-"));
    const file = path.join(dir, "cargo");
    const [head, tail] = [secret.slice(0, 10), secret.slice(10)];
    writeFileSync(
      file,
      `#!/bin/sh\nprintf 'token ${head}' >&2\nsleep 0.2\nprintf '${tail} used\\n' >&2\nexit 0\n`,
    );
    chmodSync(file, 0o755);
    const chunks: string[] = [];
    const log = new PassThrough().on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
    await publishCrateLayers({
      ...options,
      crates: [release("a")],
      layers: [["a"]],
      cargo: file,
      log,
      lookup: index({}),
      waitSeconds: 0,
    });
    const printed = chunks.join("");
    expect(printed).toContain("token *** used");
    expect(printed).not.toContain(head);
  });
});

describe("cargoChildEnv", () => {
  const env = {
    PATH: "/bin",
    CARGO_REGISTRY_TOKEN: "long-lived-1",
    CARGO_REGISTRIES_OTHER_TOKEN: "long-lived-2",
    CARGO_REGISTRIES_TESTKIT_CREDENTIAL_PROVIDER: "cargo:libsecret",
  };

  it("under OIDC gives cargo only the exchanged token, through the registry's variable", () => {
    const child = cargoChildEnv(env, registry, "short-lived");
    expect(child.CARGO_REGISTRIES_TESTKIT_TOKEN).toBe("short-lived");
    expect(child.CARGO_REGISTRY_TOKEN).toBeUndefined();
    expect(child.CARGO_REGISTRIES_OTHER_TOKEN).toBeUndefined();
    expect(child.CARGO_REGISTRIES_TESTKIT_CREDENTIAL_PROVIDER).toBe("cargo:token");
    expect(child.CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS).toBe("cargo:token");
    expect(child.PATH).toBe("/bin");
  });

  it("gives cargo (and the build scripts its verify step runs) no ID token nor GitHub's ID-token request pair", () => {
    const ci = {
      ...env,
      ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/request",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
      NPM_ID_TOKEN: "eyJ.npm",
      PYPI_ID_TOKEN: "eyJ.pypi",
    };
    for (const token of ["short-lived", undefined]) {
      const child = cargoChildEnv(ci, registry, token);
      expect(Object.keys(child).filter((name) => /ID_TOKEN/.test(name))).toEqual([]);
      expect(child.PATH).toBe("/bin");
    }
  });

  it("without OIDC leaves the tokens as cargo reads them", () => {
    expect(cargoChildEnv(env, registry, undefined)).toMatchObject({ CARGO_REGISTRY_TOKEN: "long-lived-1" });
  });
});
