import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IdTokenServer, startIdTokenServer } from "./id-token.js";

let server: IdTokenServer;

beforeAll(async () => {
  server = await startIdTokenServer({ claims: { repository: "acme/widgets" } });
});
afterAll(() => server.close());

/** What npm does: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the request token. */
async function requestIdToken(env: Record<string, string>, audience = "npm:127.0.0.1"): Promise<Response> {
  const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL as string);
  url.searchParams.append("audience", audience);
  return fetch(url, { headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } });
}

async function verified(token: string, audience = "npm:127.0.0.1") {
  return (await jwtVerify(token, createLocalJWKSet(server.jwks), { issuer: server.issuer, audience }))
    .payload;
}

describe("startIdTokenServer", () => {
  it("issues an RS256 token with GitHub's claims for the requested audience", async () => {
    const response = await requestIdToken(server.githubEnv());
    expect(response.status).toBe(200);
    const { value } = (await response.json()) as { value: string };
    expect(decodeProtectedHeader(value)).toMatchObject({ alg: "RS256", kid: server.jwks.keys[0]?.kid });
    const claims = await verified(value);
    expect(claims).toMatchObject({
      iss: server.issuer,
      aud: "npm:127.0.0.1",
      sub: "repo:acme/widgets:ref:refs/heads/main",
      repository: "acme/widgets",
      repository_owner: "acme",
      repository_visibility: "public",
      ref: "refs/heads/main",
      ref_type: "branch",
      workflow_ref: "acme/widgets/.github/workflows/release.yml@refs/heads/main",
      job_workflow_ref: "acme/widgets/.github/workflows/release.yml@refs/heads/main",
      event_name: "push",
      run_attempt: "1",
    });
    for (const name of [
      "repository_id",
      "repository_owner_id",
      "sha",
      "workflow",
      "run_id",
      "actor",
      "jti",
    ]) {
      expect(claims[name], name).toEqual(expect.any(String));
    }
    expect(claims.environment).toBeUndefined();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(server.issued.at(-1)).toBe(value);
  });

  it("verifies through the published OpenID configuration and JWKS, as a relying party would", async () => {
    const config = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(config.issuer).toBe(server.issuer);
    expect(server.issuer).not.toMatch(/\/$/);
    const remote = createRemoteJWKSet(new URL(config.jwks_uri));
    const { payload } = await jwtVerify(await server.sign(), remote, { issuer: config.issuer });
    expect(payload.repository).toBe("acme/widgets");
  });

  it("refuses a missing or unknown request token with 401, without echoing it", async () => {
    const url = `${server.url}token?api-version=2.0&audience=npm:127.0.0.1`;
    expect((await fetch(url)).status).toBe(401);
    const unknown = await fetch(url, { headers: { authorization: "Bearer not-a-known-request-token" } });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).not.toContain("not-a-known-request-token");
  });

  it("uses GitHub's default audience (the owner's URL) when none is requested", async () => {
    const env = server.githubEnv();
    const response = await fetch(env.ACTIONS_ID_TOKEN_REQUEST_URL as string, {
      headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    const { value } = (await response.json()) as { value: string };
    expect((await verified(value, "https://github.com/acme")).aud).toBe("https://github.com/acme");
  });

  it("gives each githubEnv call its own claims: environment, workflow file, repository", async () => {
    const inEnvironment = server.githubEnv({ environment: "npm", workflowFile: "publish.yml" });
    const otherRepo = server.githubEnv({ repository: "evil/fork" });
    expect(inEnvironment.ACTIONS_ID_TOKEN_REQUEST_TOKEN).not.toBe(otherRepo.ACTIONS_ID_TOKEN_REQUEST_TOKEN);

    const first = await verified(
      ((await (await requestIdToken(inEnvironment)).json()) as { value: string }).value,
    );
    expect(first).toMatchObject({
      sub: "repo:acme/widgets:environment:npm",
      environment: "npm",
      job_workflow_ref: "acme/widgets/.github/workflows/publish.yml@refs/heads/main",
    });
    const second = await verified(
      ((await (await requestIdToken(otherRepo)).json()) as { value: string }).value,
    );
    expect(second).toMatchObject({
      repository: "evil/fork",
      repository_owner: "evil",
      sub: "repo:evil/fork:ref:refs/heads/main",
    });
    expect(second.environment).toBeUndefined();
  });

  it("describes the job in the env the way a runner does", () => {
    const env = server.githubEnv({ ref: "refs/tags/v1.2.0", workflowFile: "tag.yml" });
    expect(env).toMatchObject({
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "acme/widgets",
      GITHUB_REPOSITORY_OWNER: "acme",
      GITHUB_WORKFLOW_REF: "acme/widgets/.github/workflows/tag.yml@refs/tags/v1.2.0",
      GITHUB_REF: "refs/tags/v1.2.0",
      GITHUB_REF_NAME: "v1.2.0",
      GITHUB_REF_TYPE: "tag",
      GITHUB_EVENT_NAME: "push",
      GITHUB_SERVER_URL: "https://github.com",
      RUNNER_ENVIRONMENT: "github-hosted",
    });
    expect(env.ACTIONS_ID_TOKEN_REQUEST_URL).toBe(`${server.url}token?api-version=2.0`);
    expect(env.GITHUB_SHA).toMatch(/^[0-9a-f]{40}$/);
    expect(env.GITHUB_RUN_ID).toMatch(/^\d+$/);
  });

  it("signs arbitrary claims, including expired tokens and other audiences", async () => {
    const expired = await server.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    await expect(verified(expired)).rejects.toThrow(/exp/);
    const pypi = await server.sign({ aud: "pypi", workflowFile: "pypi.yml" });
    expect((await verified(pypi, "pypi")).job_workflow_ref).toBe(
      "acme/widgets/.github/workflows/pypi.yml@refs/heads/main",
    );
    expect(server.defaultClaims.repository).toBe("acme/widgets");
  });

  it("lets a server-level environment be removed per call", async () => {
    await using envServer = await startIdTokenServer({ claims: { environment: "release" } });
    expect(envServer.defaultClaims.sub).toBe("repo:octo-org/octo-repo:environment:release");
    const token = await envServer.sign({ environment: undefined });
    const payload = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString());
    expect(payload.environment).toBeUndefined();
    expect(payload.sub).toBe("repo:octo-org/octo-repo:ref:refs/heads/main");
  });

  it("injects faults on the token endpoint", async () => {
    server.faults.add({ path: "/token", status: 503 });
    expect((await requestIdToken(server.githubEnv())).status).toBe(503);
    expect((await requestIdToken(server.githubEnv())).status).toBe(200);
  });
});
