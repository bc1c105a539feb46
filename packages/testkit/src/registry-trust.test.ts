// The npm trust API of the testkit registry, as npm/cli's trust commands call it: who may read and write, the
// 2FA answer npm turns into EOTP, the request shapes it refuses, and that what it stores is what the OIDC
// exchange enforces. (`npm trust` itself drives it in packages/publish/src/onboarding.test.ts.)
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IdTokenServer, startIdTokenServer } from "./id-token.js";
import { type Registry, startRegistry } from "./registry.js";
import { bundledNpmCli, childEnv } from "./tools.js";

const OTP = "135790";
let registry: Registry;
let ids: IdTokenServer;
let token: string;

beforeAll(async () => {
  ids = await startIdTokenServer();
  registry = await startRegistry({ oidc: { issuer: ids.issuer, jwks: ids.jwks }, otp: OTP });
  await registry.seed({ name: "@acme/core", version: "1.0.0" });
  token = await registry.createUser("maintainer");
});
afterAll(async () => {
  await Promise.all([registry?.close(), ids?.close()]);
});

const trustUrl = (name: string, id?: string) =>
  new URL(`-/package/${name.replace("/", "%2f")}/trust${id ? `/${id}` : ""}`, registry.url);

function call(
  method: string,
  name: string,
  options: { body?: unknown; otp?: string; bearer?: string; id?: string } = {},
) {
  return fetch(trustUrl(name, options.id), {
    method,
    headers: {
      "content-type": "application/json",
      ...(options.bearer === "" ? {} : { authorization: `Bearer ${options.bearer ?? token}` }),
      ...(options.otp ? { "npm-otp": options.otp } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

const github = (file: string, environment?: string) => ({
  type: "github",
  claims: { repository: "acme/widgets", workflow_ref: { file }, ...(environment ? { environment } : {}) },
  permissions: ["createPackage"],
});

async function exchange(workflowFile: string, environment?: string): Promise<number> {
  const idToken = await ids.sign({
    repository: "acme/widgets",
    workflowFile,
    ...(environment ? { environment } : {}),
    aud: "npm:127.0.0.1",
  });
  const response = await fetch(new URL("-/npm/v1/oidc/token/exchange/package/@acme%2fcore", registry.url), {
    method: "POST",
    headers: { authorization: `Bearer ${idToken}` },
  });
  return response.status;
}

describe("npm trust API", () => {
  it("refuses anonymous calls and packages that do not exist", async () => {
    expect((await call("GET", "@acme/core", { bearer: "" })).status).toBe(401);
    const missing = await call("GET", "@acme/nope");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("publish its first version");
  });

  it("answers a write without the one-time password as npm's EOTP (401, www-authenticate: OTP)", async () => {
    const response = await call("POST", "@acme/core", { body: [github("release.yml")] });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("OTP");
    expect((await call("POST", "@acme/core", { body: [github("release.yml")], otp: "000000" })).status).toBe(
      401,
    );
    expect(registry.trustedPublishers).toEqual([]);
  });

  it.each([
    [[], "non-empty array"],
    [[{ ...github("release.yml"), permissions: [] }], "permissions"],
    [[{ ...github("release.yml"), type: "circleci" }], "unsupported trust type"],
    [[github(".github/workflows/release.yml")], "workflow file name"],
    [
      [
        {
          type: "github",
          claims: { repository: "acme", workflow_ref: { file: "r.yml" } },
          permissions: ["createPackage"],
        },
      ],
      "owner/repo",
    ],
  ])("refuses a malformed create %#", async (body, reason) => {
    const response = await call("POST", "@acme/core", { body, otp: OTP });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(reason);
  });

  it("creates, lists and revokes; the exchange enforces exactly what is stored", async () => {
    expect(await exchange("release.yml", "npm")).toBe(404);
    const created = await call("POST", "@acme/core", { body: [github("release.yml", "npm")], otp: OTP });
    expect(created.status).toBe(201);
    const [config] = (await created.json()) as { id: string; claims: unknown; permissions: string[] }[];
    expect(config?.claims).toEqual({
      repository: "acme/widgets",
      workflow_ref: { file: "release.yml" },
      environment: "npm",
    });
    const listed = (await (await call("GET", "@acme/core")).json()) as unknown[];
    expect(listed).toEqual([config]);
    expect(await exchange("release.yml", "npm")).toBe(201);
    expect(await exchange("release.yml")).toBe(404); // the environment is part of the publisher
    expect(await exchange("publish.yml", "npm")).toBe(404);
    expect((await call("DELETE", "@acme/core", { id: config?.id ?? "", otp: OTP })).status).toBe(204);
    expect(await (await call("GET", "@acme/core")).json()).toEqual([]);
    expect(await exchange("release.yml", "npm")).toBe(404);
  });

  it("does not let a token from the OIDC exchange manage trusted publishers", async () => {
    const created = await call("POST", "@acme/core", { body: [github("release.yml")], otp: OTP });
    expect(created.status).toBe(201);
    const idToken = await ids.sign({
      repository: "acme/widgets",
      workflowFile: "release.yml",
      aud: "npm:127.0.0.1",
    });
    const minted = (await (
      await fetch(new URL("-/npm/v1/oidc/token/exchange/package/@acme%2fcore", registry.url), {
        method: "POST",
        headers: { authorization: `Bearer ${idToken}` },
      })
    ).json()) as { token: string };
    const response = await call("POST", "@acme/core", {
      body: [github("other.yml")],
      otp: OTP,
      bearer: minted.token,
    });
    expect(response.status).toBe(403);
    expect(registry.trustedPublishers.map((publisher) => publisher.workflow)).toEqual(["release.yml"]);
  });

  it("takes the real npm trust gitlab, list --json and revoke (npm's own request and response shapes)", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "polyglot-npm-trust-"));
    try {
      await writeFile(
        path.join(home, ".npmrc"),
        `registry=${registry.url}\n${registry.npmrcKey}:_authToken=${token}\n`,
      );
      const env = childEnv({ home, extra: { npm_config_otp: OTP } });
      for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
        if (process.env[name]) env[name] = process.env[name] as string;
      }
      const npm = (...args: string[]) =>
        execa(process.execPath, [bundledNpmCli(), ...args], {
          cwd: home,
          env,
          extendEnv: false,
          reject: false,
          stdin: "ignore",
        });
      const created = await npm(
        "trust",
        "gitlab",
        "@acme/core",
        "--file",
        ".gitlab-ci.yml",
        "--project",
        "group/sub/project",
        "--environment",
        "npm",
        "--allow-publish",
        "--allow-stage-publish",
        "--yes",
      );
      expect(created.stderr).not.toMatch(/npm error/);
      expect(created.exitCode).toBe(0);
      const stored = registry.trustedPublishers.find((publisher) => publisher.provider === "gitlab");
      expect(stored).toMatchObject({
        package: "@acme/core",
        projectPath: "group/sub/project",
        configPath: ".gitlab-ci.yml",
        environment: "npm",
        permissions: ["createPackage", "createStagedPackage"],
      });
      const listed = await npm("trust", "list", "@acme/core", "--json");
      expect(listed.exitCode).toBe(0);
      expect(listed.stdout).toContain('"project": "group/sub/project"');
      const revoked = await npm("trust", "revoke", "@acme/core", "--id", stored?.id ?? "");
      expect(revoked.exitCode).toBe(0);
      expect(registry.trustedPublishers.some((publisher) => publisher.provider === "gitlab")).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
