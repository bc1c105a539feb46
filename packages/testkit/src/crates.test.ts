import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CratesServer, startCrates } from "./crates.js";
import { cargoEnv, findCargo } from "./crates-cargo.js";
import { canonicalCrateName, indexPath, sha256Hex } from "./crates-index.js";
import { type IdTokenServer, startIdTokenServer } from "./id-token.js";

const cargo = findCargo();
const TOKEN = "cio-static-token-for-tests-0123456789";

describe("indexPath", () => {
  it.each([
    ["a", "1/a"],
    ["ab", "2/ab"],
    ["abc", "3/a/abc"],
    ["Serde", "se/rd/serde"],
    ["x0x-types", "x0/x-/x0x-types"],
  ])("%s -> %s", (name, path) => expect(indexPath(name)).toBe(path));

  it("treats - and _ as the same crate, as crates.io does", () => {
    expect(canonicalCrateName("Foo-Bar")).toBe(canonicalCrateName("foo_bar"));
  });
});

describe("the crates.io stand-in over HTTP", () => {
  let server: CratesServer;
  let issuer: IdTokenServer;
  beforeAll(async () => {
    issuer = await startIdTokenServer({ claims: { repository: "x0x/x0x", workflowFile: "release.yml" } });
    server = await startCrates({
      oidc: { issuer: issuer.issuer, jwks: issuer.jwks },
      tokens: [TOKEN],
      trustedPublishers: [{ crate: "seeded", repository: "x0x/x0x", workflow: "release.yml" }],
    });
    server.seed("seeded", "1.0.0");
    server.seed("seeded", "1.1.0", { yanked: true });
  });
  afterAll(async () => {
    await server.close();
    await issuer.close();
  });

  it("serves config.json with dl and api, and index files at cargo's prefix paths", async () => {
    const config = await (await fetch(`${server.url}index/config.json`)).json();
    expect(config).toEqual({ dl: `${server.url}api/v1/crates`, api: server.apiUrl });
    const lines = (await (await fetch(`${server.url}index/se/ed/seeded`)).text()).trim().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { name: "seeded", vers: "1.0.0", yanked: false, v: 2 },
      { name: "seeded", vers: "1.1.0", yanked: true },
    ]);
    expect((await fetch(`${server.url}index/se/ed/unknown-crate`)).status).toBe(404);
    expect((await fetch(`${server.url}index/3/s/seeded`)).status).toBe(404);
  });

  it("serves the .crate whose sha256 is the index cksum", async () => {
    const answer = await fetch(`${server.url}api/v1/crates/seeded/1.0.0/download`);
    const file = Buffer.from(await answer.arrayBuffer());
    expect(sha256Hex(file)).toBe(server.crate("seeded")?.versions[0]?.entry.cksum);
    expect(gunzipSync(file).toString("latin1")).toContain("seeded-1.0.0/Cargo.toml");
  });

  it("exchanges a GitHub ID token of a trusted publisher once, refuses a reused or foreign one, revokes", async () => {
    const jwt = await issuer.sign({ aud: "127.0.0.1" });
    const exchanged = await postJwt(server, jwt);
    expect(exchanged.status).toBe(200);
    const { token } = (await exchanged.json()) as { token: string };
    expect(server.issuedTokens).toContain(token);
    expect(await detail(await postJwt(server, jwt))).toBe("JWT has already been used");
    expect(await detail(await postJwt(server, await issuer.sign({ aud: "crates.io" })))).toBe(
      "Failed to decode JWT",
    );
    expect(await detail(await postJwt(server, await issuer.sign({ aud: "127.0.0.1", exp: 1000 })))).toBe(
      "Failed to decode JWT",
    );
    expect(
      await detail(await postJwt(server, await issuer.sign({ aud: "127.0.0.1", workflowFile: "ci.yml" }))),
    ).toMatch(/does not match the workflow filename `ci.yml`/);
    expect(
      await detail(await postJwt(server, await issuer.sign({ aud: "127.0.0.1", repository: "evil/x0x" }))),
    ).toBe("No Trusted Publishing config found for repository `evil/x0x`.");

    const revoke = () =>
      fetch(`${server.url}api/v1/trusted_publishing/tokens`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await revoke()).status).toBe(204);
    expect((await revoke()).status).toBe(401);
    expect(server.events.map((event) => event.type)).toContain("revoke");
  });

  it("requires the environment a publisher names", async () => {
    server.addTrustedPublisher({
      crate: "seeded",
      repository: "x0x/gated",
      workflow: "release.yml",
      environment: "crates",
    });
    const without = await issuer.sign({ aud: "127.0.0.1", repository: "x0x/gated" });
    expect(await detail(await postJwt(server, without))).toMatch(/requires an environment/);
    const withEnv = await issuer.sign({ aud: "127.0.0.1", repository: "x0x/gated", environment: "Crates" });
    expect((await postJwt(server, withEnv)).status).toBe(200);
  });

  it("refuses malformed uploads in crates.io's error format", async () => {
    const put = (body: Buffer, authorization = TOKEN) =>
      fetch(`${server.url}api/v1/crates/new`, { method: "PUT", headers: { authorization }, body });
    expect(await detail(await put(Buffer.from([1, 0])))).toMatch(/invalid upload request/);
    expect(await detail(await put(wireBody({ name: "9bad", vers: "1.0.0", deps: [] })))).toMatch(
      /invalid crate name/,
    );
    expect(
      await detail(await put(wireBody({ name: "good", vers: "1.0.0", deps: [], license: "MIT" }))),
    ).toMatch(/^missing or empty metadata fields: description\./);
    const duplicate = await put(
      wireBody({ name: "seeded", vers: "1.0.0", deps: [], license: "MIT", description: "d" }),
    );
    expect(duplicate.status).toBe(400);
    expect(await detail(duplicate)).toBe("crate seeded@1.0.0 already exists");
    const foreign = wireBody({
      name: "good",
      vers: "1.0.0",
      license: "MIT",
      description: "d",
      deps: [{ name: "serde", version_req: "^1", kind: "normal", registry: null }],
    });
    expect(await detail(await put(foreign))).toMatch(/no known crate named `serde`/);
    const unauthenticated = await put(wireBody({ name: "good", vers: "1.0.0", deps: [] }), "");
    expect(unauthenticated.status).toBe(403);
  });
});

describe.skipIf(!cargo)("the real cargo against the stand-in", () => {
  let server: CratesServer;
  let work: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startCrates({ tokens: [TOKEN], visibilityDelayMs: 300 });
    work = await mkdtemp(join(tmpdir(), "crates-standin-"));
    await writeTree(work, cargoWorkspace());
    env = {
      ...(process.env as Record<string, string>),
      ...cargoEnv({
        cargoHome: join(work, ".cargo-home"),
        registry: { name: "testkit", index: server.indexUrl },
      }),
      CARGO_REGISTRIES_TESTKIT_TOKEN: TOKEN,
      PATH: `${dirname(cargo as string)}:${process.env.PATH}`,
    };
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const publish = (name: string) =>
    execa(cargo as string, ["publish", "-p", name, "--registry", "testkit"], {
      cwd: work,
      env,
      reject: false,
    });

  it("publishes a crate and its dependent (cargo verifies the dependent against the downloaded dependency)", async () => {
    const types = await publish("kt-types");
    expect(types.exitCode, types.stderr).toBe(0);
    const core = await publish("kt-core");
    expect(core.exitCode, core.stderr).toBe(0);
    expect(core.stderr).toMatch(/Downloaded kt-types v0\.1\.0/);
    const entry = server.crate("kt-core")?.versions[0]?.entry;
    expect(entry).toMatchObject({ name: "kt-core", vers: "0.1.0", yanked: false });
    expect(entry?.deps).toEqual([
      expect.objectContaining({ name: "kt-types", req: "^0.1.0", kind: "normal" }),
    ]);
    expect(server.events.filter((event) => event.type === "publish").map((event) => event.crate)).toEqual([
      "kt-types",
      "kt-core",
    ]);
  }, 120_000);

  it("cargo refuses a version the index already has", async () => {
    const again = await publish("kt-types");
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/kt-types@0\.1\.0 already exists/);
  }, 60_000);

  it("an injected fault on the upload fails cargo, and the next attempt goes through", async () => {
    server.faults.add({ path: "/api/v1/crates/new", method: "PUT", status: 503, times: 5 });
    const failed = await publish("kt-napi");
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toMatch(/503/);
    expect(server.crate("kt-napi")).toBeUndefined();
    server.faults.clear();
    const retried = await publish("kt-napi");
    expect(retried.exitCode, retried.stderr).toBe(0);
  }, 120_000);

  it("yanks through cargo; a yanked version stays in the index, marked", async () => {
    const yank = await execa(cargo as string, ["yank", "kt-napi@0.1.0", "--registry", "testkit"], {
      cwd: work,
      env,
      reject: false,
    });
    expect(yank.exitCode, yank.stderr).toBe(0);
    const line = (await (await fetch(`${server.url}index/kt/-n/kt-napi`)).text()).trim();
    expect(JSON.parse(line)).toMatchObject({ vers: "0.1.0", yanked: true });
  }, 60_000);
});

async function postJwt(server: CratesServer, jwt: string): Promise<Response> {
  return fetch(`${server.url}api/v1/trusted_publishing/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jwt }),
  });
}

async function detail(response: Response): Promise<string> {
  const body = (await response.json()) as { errors?: Array<{ detail: string }> };
  return body.errors?.[0]?.detail ?? "";
}

function wireBody(metadata: object, file = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(metadata));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length);
  const fileHead = Buffer.alloc(4);
  fileHead.writeUInt32LE(file.length);
  return Buffer.concat([head, json, fileHead, file]);
}

/** Three crates: kt-types, and kt-core + kt-napi depending on it through a path with `version` and `registry`. */
function cargoWorkspace(): Record<string, string> {
  const crate = (name: string, deps = "") =>
    `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\ndescription = "${name} for tests"\nlicense = "MIT"\n\n[dependencies]\n${deps}`;
  const onTypes = 'kt-types = { path = "../types", version = "0.1.0", registry = "testkit" }\n';
  return {
    "Cargo.toml": '[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n',
    "crates/types/Cargo.toml": crate("kt-types"),
    "crates/types/src/lib.rs": "pub const ANSWER: u32 = 42;\n",
    "crates/core/Cargo.toml": crate("kt-core", onTypes),
    "crates/core/src/lib.rs": "pub fn answer() -> u32 { kt_types::ANSWER }\n",
    "crates/napi/Cargo.toml": crate("kt-napi", onTypes),
    "crates/napi/src/lib.rs": "pub fn doubled() -> u32 { kt_types::ANSWER * 2 }\n",
  };
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}
