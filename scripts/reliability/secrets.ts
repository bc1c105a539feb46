// Canary secrets: known values placed where a release job keeps its credentials, and a check that none of them
// (nor any token minted during the run) appears in anything the run prints or writes.
import { expect } from "vitest";
import type { RunResult } from "./helpers.js";
import { type ReleaseRepo, readText, type Servers } from "./publish-fixture.js";

export const CANARY = {
  NPM_TOKEN: "npm_CANARYnpmTOKEN0000000000000000000001",
  NODE_AUTH_TOKEN: "npm_CANARYnodeAUTH000000000000000000002",
  GITHUB_TOKEN: "ghs_CANARYgithubTOKEN00000000000000003",
};

/** Env of the canaries (the ID-token request token comes from testkit's githubEnv and is collected too). */
export function canaryEnv(): Record<string, string> {
  return { ...CANARY };
}

/** Every secret value the run could have seen: canaries, the env's request token, the registry tokens, minted tokens. */
export function secretsOf(servers: Servers, env: NodeJS.ProcessEnv, extra: string[] = []): string[] {
  const values = new Set<string>([...Object.values(CANARY), servers.token, ...extra]);
  if (env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) values.add(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  for (const value of mintedTokens(servers)) values.add(value);
  return [...values].filter((v) => v && v.length >= 8);
}

/** Tokens the stand-ins issued, where they expose them (exchanged npm tokens, ID tokens). */
export function mintedTokens(servers: Servers): string[] {
  const out: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === "string" && value.length >= 16) out.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        if (/token|jwt/i.test(k) || typeof v === "object") collect(v);
    }
  };
  collect(servers.registry.exchanges);
  collect(servers.idToken.issued ?? servers.idToken.tokens);
  return out;
}

/** Fails when any secret appears in stdout, stderr, GITHUB_OUTPUT, the step summary or CHANGESETS_OUTPUT. */
export async function expectNoSecrets(
  secrets: string[],
  result: RunResult,
  repo: Pick<ReleaseRepo, "outputFile" | "summaryFile" | "changesetsOutput">,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  // `::add-mask::<value>` is how a step asks the GitHub Actions runner to mask a value: the runner consumes the
  // line and never shows it. Allowed under GitHub Actions only (elsewhere it would print the secret).
  const unmasked = (text: string) =>
    env.GITHUB_ACTIONS === "true"
      ? text.replace(/^::add-mask::.*$/gm, "::add-mask::(consumed by the runner)")
      : text;
  const places: Record<string, string> = {
    stdout: unmasked(result.stdout),
    stderr: unmasked(result.stderr),
    GITHUB_OUTPUT: await readText(repo.outputFile),
    GITHUB_STEP_SUMMARY: await readText(repo.summaryFile),
    CHANGESETS_OUTPUT: await readText(repo.changesetsOutput),
  };
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) {
      // Also catch a secret cut by a line wrap: the secret's second half alone counts as a leak. (Halves, not
      // short slices: JWTs of one issuer share their header and much of their payload.)
      const half = secret.slice(Math.floor(secret.length / 2));
      const at = text.includes(secret) ? text.indexOf(secret) : text.indexOf(half);
      const context = at < 0 ? "" : text.slice(Math.max(0, at - 80), at).replace(/\s+/g, " ");
      expect(
        at,
        `a secret (${secret.slice(0, 4)}..., ${secret.length} chars) leaked into ${place} after "${context}"`,
      ).toBe(-1);
    }
  }
}
