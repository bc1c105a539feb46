import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";

/** An RS256 key pair and JWKS standing in for GitHub's token issuer in tests of the PyPI stand-in. */
export interface TestIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
  sign(claims: JWTPayload, options?: { expiresInSeconds?: number; audience?: string }): Promise<string>;
}

export async function createTestIssuer(
  issuer = "https://token.actions.githubusercontent.com",
): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  return {
    issuer,
    jwks: { keys: [jwk] },
    sign: (claims, options = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(issuer)
        .setAudience(options.audience ?? "pypi")
        .setIssuedAt(now - 5)
        .setNotBefore(now - 5)
        .setExpirationTime(now + (options.expiresInSeconds ?? 300))
        .sign(privateKey);
    },
  };
}

/** The claims GitHub Actions puts in an ID token of a job of `repository` running `workflow` on `ref`. */
export function githubClaims(
  repository: string,
  workflow: string,
  overrides: JWTPayload & { environment?: string } = {},
): JWTPayload {
  const [owner = ""] = repository.split("/");
  const ref = "refs/heads/main";
  return {
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_owner: owner,
    repository_owner_id: "1001",
    repository_id: "2002",
    ref,
    sha: "0123456789abcdef0123456789abcdef01234567",
    workflow_ref: `${repository}/.github/workflows/${workflow}@${ref}`,
    job_workflow_ref: `${repository}/.github/workflows/${workflow}@${ref}`,
    event_name: "push",
    runner_environment: "github-hosted",
    ...overrides,
  };
}

export interface TestDist {
  name: string;
  version: string;
  filename: string;
  content: string | Buffer;
  filetype?: "sdist" | "bdist_wheel";
  /** Overrides the digest sent (to test mismatches). */
  sha256?: string;
}

/** The multipart form twine sends for one file. */
export function uploadForm(dist: TestDist): FormData {
  const content = Buffer.from(dist.content);
  const filetype = dist.filetype ?? (dist.filename.endsWith(".whl") ? "bdist_wheel" : "sdist");
  const form = new FormData();
  const fields: Record<string, string> = {
    ":action": "file_upload",
    protocol_version: "1",
    metadata_version: "2.1",
    name: dist.name,
    version: dist.version,
    filetype,
    pyversion: filetype === "sdist" ? "source" : "py3",
    sha256_digest: dist.sha256 ?? createHash("sha256").update(content).digest("hex"),
    md5_digest: createHash("md5").update(content).digest("hex"),
  };
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append("content", new Blob([content]), dist.filename);
  return form;
}

export function basicAuth(token: string): string {
  return `Basic ${Buffer.from(`__token__:${token}`).toString("base64")}`;
}
