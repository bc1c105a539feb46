import { decodeJwt, type JWTPayload } from "jose";

/** What an ID token says, decoded without verifying (the registry verifies): to explain, never to trust. */
export type DecodedIdToken = { ok: true; claims: JWTPayload } | { ok: false; reason: string };

export function decodeIdToken(token: string): DecodedIdToken {
  try {
    return { ok: true, claims: decodeJwt(token) };
  } catch (error) {
    return { ok: false, reason: `not a JWT (${(error as Error).message})` };
  }
}

export function audiences(claims: JWTPayload): string[] {
  if (typeof claims.aud === "string") return [claims.aud];
  return Array.isArray(claims.aud) ? claims.aud.filter((aud): aud is string => typeof aud === "string") : [];
}

export function isExpired(claims: JWTPayload, now = Date.now()): boolean {
  return typeof claims.exp === "number" && claims.exp * 1000 <= now;
}

/** A claim's value fit for a log line: a short JSON string, `MISSING` when absent (as pypa's action prints). */
export function claimText(claims: JWTPayload, name: string): string {
  const value = claims[name];
  if (value === undefined || value === null) return "MISSING";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** `gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main` -> `.gitlab-ci.yml` (the top-level pipeline file). */
export function gitlabPipelineFile(claims: JWTPayload): string | undefined {
  const uri = typeof claims.ci_config_ref_uri === "string" ? claims.ci_config_ref_uri : "";
  return /(?<=\/\/)(.+[^/]\.(yml|yaml))(?=@)/.exec(uri)?.[0];
}

/** `owner/repo/.github/workflows/release.yml@refs/heads/main` -> `release.yml`. */
export function githubWorkflowFile(claims: JWTPayload): string | undefined {
  const ref = typeof claims.job_workflow_ref === "string" ? claims.job_workflow_ref : "";
  return /\.github\/workflows\/([^@]+)@/.exec(ref)?.[1];
}
