import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, uploadForm } from "./__fixtures__/pypi-issuer.js";
import { type GitlabIdTokenIssuer, startGitlabIdTokenIssuer } from "./gitlab-id-token.js";
import { type IdTokenServer, startIdTokenServer } from "./id-token.js";
import { type PypiServer, startPypi } from "./pypi.js";
import { type Registry, startRegistry } from "./registry.js";

let gitlab: GitlabIdTokenIssuer;
let github: IdTokenServer;
let pypi: PypiServer;
let registry: Registry;
const PROJECT = "event-forge/event-forge";

beforeAll(async () => {
  gitlab = await startGitlabIdTokenIssuer({ claims: { project_path: PROJECT } });
  github = await startIdTokenServer({ claims: { repository: "acme/forge" } });
  const trust = [github, { ...gitlab, provider: "gitlab" as const }];
  pypi = await startPypi({
    oidc: trust,
    trustedPublishers: [
      {
        provider: "gitlab",
        project: "event-forge-inbox-outbox",
        projectPath: PROJECT,
        workflowFilepath: ".gitlab-ci.yml",
        environment: "pypi",
      },
      { project: "from-github", repository: "acme/forge", workflow: "release.yml" },
    ],
  });
  registry = await startRegistry({
    oidc: trust,
    trustedPublishers: [
      { provider: "gitlab", package: "@event-forge/*", projectPath: PROJECT, configPath: ".gitlab-ci.yml" },
      { package: "from-github", repository: "acme/forge", workflow: "release.yml" },
    ],
    packages: [
      { name: "@event-forge/inbox-outbox-core", version: "1.0.0" },
      { name: "from-github", version: "1.0.0" },
    ],
  });
});

afterAll(async () => {
  await Promise.all([gitlab?.close(), github?.close(), pypi?.close(), registry?.close()]);
});

async function mint(token: string) {
  const response = await fetch(`${pypi.url}_/oidc/mint-token`, {
    method: "POST",
    body: JSON.stringify({ token }),
  });
  const body = (await response.json()) as {
    token?: string;
    errors?: Array<{ code: string; description: string }>;
  };
  return { status: response.status, body };
}

function npmExchange(name: string, idToken: string): Promise<Response> {
  const url = new URL(`-/npm/v1/oidc/token/exchange/package/${name.replace("/", "%2f")}`, registry.url);
  return fetch(url, { method: "POST", headers: { authorization: `Bearer ${idToken}` } });
}

describe("startGitlabIdTokenIssuer", () => {
  it("signs RS256 tokens with GitLab's claims, verifiable with its JWKS", async () => {
    const token = await gitlab.sign({ aud: "pypi", environment: "pypi" });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(gitlab.jwks), {
      issuer: gitlab.issuer,
      audience: "pypi",
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({
      sub: `project_path:${PROJECT}:ref_type:branch:ref:main`,
      project_path: PROJECT,
      namespace_path: "event-forge",
      ref: "main",
      ref_type: "branch",
      ref_path: "refs/heads/main",
      ci_config_ref_uri: `gitlab.com/${PROJECT}//.gitlab-ci.yml@refs/heads/main`,
      environment: "pypi",
      environment_protected: "true",
    });
    expect(gitlab.issued).toContain(token);
    const keys = await (await fetch(`${gitlab.url}oauth/discovery/keys`)).json();
    expect(keys).toEqual(gitlab.jwks);
  });

  it("builds a job's variables with one ID token per id_tokens entry, each with its aud", async () => {
    const env = await gitlab.jobEnv(
      { NPM_ID_TOKEN: "npm:127.0.0.1", PYPI_ID_TOKEN: "pypi" },
      { ref: "v1.2.0", ref_type: "tag", configPath: "ci/release.yml" },
    );
    expect(env).toMatchObject({
      GITLAB_CI: "true",
      CI_PROJECT_PATH: PROJECT,
      CI_PROJECT_NAMESPACE: "event-forge",
      CI_PROJECT_NAME: "event-forge",
      CI_CONFIG_PATH: "ci/release.yml",
      CI_COMMIT_TAG: "v1.2.0",
    });
    expect(env.CI_COMMIT_BRANCH).toBeUndefined();
    expect(decodeJwt(env.NPM_ID_TOKEN ?? "").aud).toBe("npm:127.0.0.1");
    const pypiClaims = decodeJwt(env.PYPI_ID_TOKEN ?? "");
    expect(pypiClaims).toMatchObject({
      aud: "pypi",
      sub: `project_path:${PROJECT}:ref_type:tag:ref:v1.2.0`,
      ci_config_ref_uri: `gitlab.com/${PROJECT}//ci/release.yml@refs/tags/v1.2.0`,
    });
    expect(env.SIGSTORE_ID_TOKEN).toBeUndefined();
  });
});

describe("PyPI stand-in: GitLab trusted publishers", () => {
  it("mints for a matching GitLab publisher and the token uploads", async () => {
    const { status, body } = await mint(await gitlab.sign({ aud: "pypi", environment: "pypi" }));
    expect(status).toBe(200);
    const response = await fetch(pypi.legacyUrl, {
      method: "POST",
      headers: { authorization: basicAuth(body.token ?? "") },
      body: uploadForm({
        name: "event-forge-inbox-outbox",
        version: "1.0.0",
        filename: "event_forge_inbox_outbox-1.0.0.tar.gz",
        content: "sdist",
      }),
    });
    expect(response.status).toBe(200);
    expect(pypi.uploads.at(-1)?.auth).toBe("trusted-publisher");
  });

  it.each([
    ["another project_path", { project_path: "event-forge/fork", environment: "pypi" }],
    ["another pipeline file", { configPath: "release.gitlab-ci.yml", environment: "pypi" }],
    ["another environment", { environment: "staging" }],
    ["no environment", {}],
  ])("refuses %s with invalid-publisher", async (_case, claims) => {
    const { status, body } = await mint(await gitlab.sign({ aud: "pypi", ...claims }));
    expect(status).toBe(422);
    expect(body.errors?.[0]).toEqual({
      code: "invalid-publisher",
      description:
        "valid token, but no corresponding publisher (Publisher with matching claims was not found)",
    });
  });

  it("checks ci_config_ref_uri against the ref, as warehouse does", async () => {
    const forged = await gitlab.sign({
      aud: "pypi",
      environment: "pypi",
      ci_config_ref_uri: `gitlab.com/${PROJECT}//.gitlab-ci.yml@refs/heads/evil`,
    });
    const { body } = await mint(forged);
    expect(body.errors?.[0]?.description).toContain("The ci_config_ref_uri claim does not match");
  });

  it("refuses a GitLab token with a wrong aud, and a GitHub token for a GitLab publisher", async () => {
    expect(
      (await mint(await gitlab.sign({ aud: "npm:registry.npmjs.org", environment: "pypi" }))).body,
    ).toMatchObject({ errors: [{ code: "invalid-token" }] });
    const fromGithub = await mint(await github.sign({ aud: "pypi", workflowFile: "publish.yml" }));
    expect(fromGithub.body.errors?.[0]?.code).toBe("invalid-publisher");
    expect((await mint(await github.sign({ aud: "pypi", workflowFile: "release.yml" }))).status).toBe(200);
  });
});

describe("registry stand-in: GitLab trusted publishers", () => {
  it("exchanges a GitLab NPM_ID_TOKEN of the configured project and pipeline file", async () => {
    const response = await npmExchange(
      "@event-forge/inbox-outbox-core",
      await gitlab.sign({ aud: "npm:127.0.0.1" }),
    );
    expect(response.status).toBe(201);
    expect(registry.exchanges.at(-1)).toMatchObject({
      status: 201,
      claims: { repository: PROJECT, workflow: ".gitlab-ci.yml" },
    });
  });

  it("names the claim that does not match", async () => {
    const cases = [
      [{ aud: "npm:127.0.0.1", project_path: "someone/else" }, /project_path someone\/else/],
      [{ aud: "npm:127.0.0.1", configPath: "other.yml" }, /ci_config_ref_uri names other\.yml/],
      [{ aud: "npm:registry.npmjs.org" }, /invalid ID token .*aud/],
    ] as const;
    for (const [claims, reason] of cases) {
      const response = await npmExchange("@event-forge/inbox-outbox-core", await gitlab.sign(claims));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(registry.exchanges.at(-1)?.reason).toMatch(reason);
    }
  });

  it("keeps GitHub publishers working next to GitLab ones", async () => {
    const token = await github.sign({ aud: "npm:127.0.0.1", workflowFile: "release.yml" });
    expect((await npmExchange("from-github", token)).status).toBe(201);
    const gitlabToken = await gitlab.sign({ aud: "npm:127.0.0.1" });
    expect((await npmExchange("from-github", gitlabToken)).status).toBe(404);
  });
});
