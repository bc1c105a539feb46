import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProofProject,
  oidcPublishEnv,
  type ProofProject,
  type ProofServers,
  publishedVersions,
  REPOSITORY,
  startProofServers,
  trustedPublisher,
  WORKFLOW,
} from "./__fixtures__/registry-proof.js";
import { type ClaimOverrides, type IdTokenServer, startIdTokenServer } from "./id-token.js";
import { type Registry, startRegistry } from "./registry.js";
import { packTarball, publishDocument } from "./registry-tarball.js";

let idTokens: IdTokenServer;
let registry: Registry;
let npmBin: string;
let servers: ProofServers;
const EXCHANGE = "-/npm/v1/oidc/token/exchange/package/";

beforeAll(async () => {
  servers = await startProofServers(
    {
      trustedPublishers: [
        trustedPublisher("@acme/*"),
        { package: "guarded", repository: REPOSITORY, workflow: WORKFLOW, environment: "npm" },
      ],
      packages: [
        { name: "@acme/core", version: "1.0.0" },
        { name: "@acme/other", version: "1.0.0" },
        { name: "guarded", version: "2.0.0" },
        { name: "@solo/lib", version: "0.1.0" },
      ],
    },
    { claims: { repository: REPOSITORY } },
  );
  ({ idTokens, registry, npmBin } = servers);
});

afterAll(async () => {
  await servers?.close();
});

function exchange(name: string, idToken?: string): Promise<Response> {
  const headers: Record<string, string> = idToken ? { authorization: `Bearer ${idToken}` } : {};
  return fetch(new URL(`${EXCHANGE}${name.replace("/", "%2f")}`, registry.url), { method: "POST", headers });
}

function npmIdToken(claims: Parameters<IdTokenServer["sign"]>[0] = {}): Promise<string> {
  return idTokens.sign({ aud: "npm:127.0.0.1", workflowFile: WORKFLOW, ...claims });
}

function putVersion(name: string, version: string, token: string): Promise<Response> {
  const manifest = { name, version };
  const body = publishDocument(
    registry.url,
    manifest,
    packTarball({ "package.json": JSON.stringify(manifest) }),
  );
  return fetch(new URL(name.replace("/", "%2f"), registry.url), {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe("startRegistry: Verdaccio", () => {
  it("serves seeded packages to anonymous readers, with a tarball npm can unpack", async () => {
    const response = await fetch(new URL("@acme%2fcore", registry.url));
    expect(response.status).toBe(200);
    const packument = (await response.json()) as {
      "dist-tags": { latest: string };
      versions: Record<string, { dist: { tarball: string } }>;
    };
    expect(packument["dist-tags"].latest).toBe("1.0.0");
    const tarballUrl = packument.versions["1.0.0"]?.dist.tarball ?? "";
    const dir = await mkdtemp(join(tmpdir(), "polyglot-tarball-"));
    try {
      await writeFile(join(dir, "core.tgz"), Buffer.from(await (await fetch(tarballUrl)).arrayBuffer()));
      const listing = await execa("tar", ["-xzvf", "core.tgz"], { cwd: dir });
      expect(listing.stdout.trim()).toBe("package/package.json");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lets any user publish any package and refuses anonymous publishes", async () => {
    const token = await registry.createUser("alice");
    const whoami = await fetch(new URL("-/whoami", registry.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await whoami.json()).toEqual({ username: "alice" });
    expect((await putVersion("unscoped-by-alice", "1.0.0", token)).status).toBe(201);
    expect((await putVersion("@any/scope", "1.0.0", token)).status).toBe(201);
    const anonymous = await fetch(new URL("anonymous-pkg", registry.url), {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "anonymous-pkg", versions: {} }),
    });
    expect([401, 403]).toContain(anonymous.status);
    expect(await publishedVersions(registry, "unscoped-by-alice")).toEqual(["1.0.0"]);
  });

  it("answers a package write with an invalid token 404, as npmjs.com does", async () => {
    for (const junk of ["XXXXX-XXXXX-XXXXX-XXXXX", "eyJhbGciOiJIUzI1NiJ9.e30.forged"]) {
      expect((await putVersion("@acme/core", "9.9.9", junk)).status).toBe(404);
    }
    expect(await publishedVersions(registry, "@acme/core")).not.toContain("9.9.9");
  });

  it("reports a refused user creation", async () => {
    await registry.createUser("bob", "first-password");
    await expect(registry.createUser("bob", "another-password")).rejects.toThrow(
      /createUser\(bob\) failed: 40/,
    );
  });

  it("records method, path and the parsed JSON body of each request", async () => {
    const token = await registry.createUser("carol");
    await putVersion("@acme/recorded", "3.0.0", token);
    const put = registry.requests.findLast((request) => request.method === "PUT");
    expect(put?.path).toBe("/@acme%2frecorded");
    expect(JSON.parse(put?.body.toString() ?? "{}").versions["3.0.0"].name).toBe("@acme/recorded");
  });
});

describe("token exchange (POST /-/npm/v1/oidc/token/exchange/package/<name>)", () => {
  it("mints a token that publishes the exchanged package and nothing else", async () => {
    const response = await exchange("@acme/core", await npmIdToken());
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    expect(registry.exchanges.at(-1)).toEqual({
      package: "@acme/core",
      status: 201,
      reason: "ok",
      token,
      claims: { repository: REPOSITORY, workflow: WORKFLOW },
    });
    expect((await putVersion("@acme/core", "1.1.0", token)).status).toBe(201);
    expect(await publishedVersions(registry, "@acme/core")).toEqual(["1.0.0", "1.1.0"]);
    const other = await putVersion("@acme/other", "1.1.0", token);
    expect(other.status).toBe(403);
    expect(await publishedVersions(registry, "@acme/other")).toEqual(["1.0.0"]);
  });

  it.each([
    ["no bearer token", undefined, /missing bearer/],
    ["another audience", { aud: "npm:registry.npmjs.org" }, /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/],
    ["another issuer", { iss: "https://token.actions.githubusercontent.com" }, /iss/],
    ["an expired token", { exp: Math.floor(Date.now() / 1000) - 120 }, /ERR_JWT_EXPIRED/],
  ])("answers 401 for %s", async (_case, claims, reason) => {
    const response = await exchange("@acme/core", claims ? await npmIdToken(claims) : undefined);
    expect(response.status).toBe(401);
    expect(registry.exchanges.at(-1)).toEqual({
      package: "@acme/core",
      status: 401,
      reason: expect.stringMatching(reason),
    });
  });

  it("never echoes the ID token or the minted token in a refusal", async () => {
    const expired = await npmIdToken({ exp: Math.floor(Date.now() / 1000) - 120 });
    const refused = await exchange("@acme/core", expired);
    const body = await refused.text();
    const signature = expired.split(".")[2] ?? "";
    expect(body).not.toContain(signature);
    expect(JSON.stringify(registry.exchanges)).not.toContain(signature);
  });

  it("answers 401 for a token signed by another key", async () => {
    await using stranger = await startIdTokenServer();
    const forged = await stranger.sign({
      aud: "npm:127.0.0.1",
      iss: idTokens.issuer,
      repository: REPOSITORY,
    });
    expect((await exchange("@acme/core", forged)).status).toBe(401);
    expect(registry.exchanges.at(-1)?.reason).toMatch(/ERR_JWKS_NO_MATCHING_KEY|signature/);
  });

  it.each([
    ["an unknown package", "@acme/missing", {}, /package @acme\/missing not found/],
    ["a package without publisher", "@solo/lib", {}, /no trusted publisher is configured for @solo\/lib/],
    [
      "another repository",
      "@acme/core",
      { repository: "acme/fork" },
      /repository acme\/fork is not acme\/widgets/,
    ],
    [
      "another workflow file",
      "@acme/core",
      { workflowFile: "ci.yml" },
      /workflow ci\.yml is not release\.yml/,
    ],
    ["a missing environment", "guarded", {}, /environment \(none\) is not npm/],
    ["another environment", "guarded", { environment: "staging" }, /environment staging is not npm/],
  ] as Array<[string, string, ClaimOverrides, RegExp]>)(
    "answers 404 for %s",
    async (_case, name, claims, reason) => {
      expect((await exchange(name, await npmIdToken(claims))).status).toBe(404);
      expect(registry.exchanges.at(-1)).toEqual({
        package: name,
        status: 404,
        reason: expect.stringMatching(reason),
        claims: expect.objectContaining({ repository: claims.repository ?? REPOSITORY }),
      });
    },
  );

  it("matches the calling workflow when a reusable workflow publishes, as npm does", async () => {
    const reusable = `${REPOSITORY}/.github/workflows/_publish.yml@refs/heads/main`;
    const idToken = await npmIdToken({ workflowFile: WORKFLOW, job_workflow_ref: reusable });
    expect((await exchange("@acme/core", idToken)).status).toBe(201);
    const calledFromElsewhere = await npmIdToken({ workflowFile: "_publish.yml" });
    expect((await exchange("@acme/core", calledFromElsewhere)).status).toBe(404);
  });

  it("accepts the environment a publisher requires", async () => {
    expect((await exchange("guarded", await npmIdToken({ environment: "npm" }))).status).toBe(201);
    expect(registry.exchanges.at(-1)?.claims).toEqual({
      repository: REPOSITORY,
      workflow: WORKFLOW,
      environment: "npm",
    });
  });

  it("reads the trusted publishers on each request", async () => {
    const idToken = await npmIdToken();
    expect((await exchange("@solo/lib", idToken)).status).toBe(404);
    registry.trustedPublishers.push({ package: "@solo/*", repository: REPOSITORY, workflow: WORKFLOW });
    try {
      expect((await exchange("@solo/lib", idToken)).status).toBe(201);
    } finally {
      registry.trustedPublishers.pop();
    }
  });

  it("answers 500, and records why, when minting fails (a bad oidcTokenLifetime)", async () => {
    await using broken = await startRegistry({
      oidc: idTokens,
      trustedPublishers: [{ package: "@acme/*", repository: REPOSITORY, workflow: WORKFLOW }],
      packages: [{ name: "@acme/core", version: "1.0.0" }],
      oidcTokenLifetime: "until the heat death of the universe",
    });
    const response = await fetch(new URL(`${EXCHANGE}@acme%2fcore`, broken.url), {
      method: "POST",
      headers: { authorization: `Bearer ${await npmIdToken()}` },
    });
    expect(response.status).toBe(500);
    expect(broken.exchanges).toEqual([
      { package: "@acme/core", status: 500, reason: expect.stringMatching(/^exchange failed: .*expiresIn/) },
    ]);
  });

  it("answers 404 on a registry that trusts no issuer", async () => {
    await using plain = await startRegistry({ packages: [{ name: "@acme/core", version: "1.0.0" }] });
    const response = await fetch(new URL(`${EXCHANGE}@acme%2fcore`, plain.url), {
      method: "POST",
      headers: { authorization: `Bearer ${await npmIdToken()}` },
    });
    expect(response.status).toBe(404);
    expect(plain.exchanges).toEqual([
      { package: "@acme/core", status: 404, reason: "this registry trusts no OIDC issuer" },
    ]);
  });
});

describe("fault injection with the real npm", () => {
  let project: ProofProject;
  let userconfig: string;

  beforeAll(async () => {
    project = await createProofProject(registry, "@acme/faulty", [npmBin]);
    userconfig = await project.tokenUserconfig(await registry.createUser("faulty-publisher"));
  });
  afterAll(() => project?.cleanup());

  it("fails npm's publish on a 500 for the 2nd PUT of the package, then lets a re-run through", async () => {
    registry.faults.add({ path: "/@acme%2ffaulty", method: "PUT", nth: 2, status: 500 });
    const tokenEnv = { npm_config_userconfig: userconfig, npm_config_fetch_retries: "0" };
    expect((await project.run("npm", ["publish"], tokenEnv)).exitCode).toBe(0);
    await project.setVersion("1.0.1");
    const failed = await project.run("npm", ["publish"], tokenEnv);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.output).toMatch(/E500|500 Internal Server Error/);
    expect(await publishedVersions(registry, "@acme/faulty")).toEqual(["1.0.0"]);
    expect((await project.run("npm", ["publish"], tokenEnv)).exitCode).toBe(0);
    expect(await publishedVersions(registry, "@acme/faulty")).toEqual(["1.0.0", "1.0.1"]);
  });

  it("drops the exchange connection: npm falls back silently to no token (ENEEDAUTH)", async () => {
    registry.faults.add({ path: `/${EXCHANGE}`, method: "POST", drop: true, times: 5 });
    await project.setVersion("1.0.2");
    const exchangesBefore = registry.exchanges.length;
    const result = await project.run("npm", ["publish"], {
      ...oidcPublishEnv(idTokens),
      npm_config_fetch_retries: "0",
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/ENEEDAUTH/);
    expect(registry.exchanges.length).toBe(exchangesBefore);
    await expect(exchange("@acme/faulty", await npmIdToken())).rejects.toThrow();
    registry.faults.clear();
    expect((await exchange("@acme/faulty", await npmIdToken())).status).toBe(201);
  });
});
