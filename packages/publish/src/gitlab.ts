// GitLab CI in the preflight: the ID tokens GitLab hands a job as variables (`id_tokens:`), checked before npm,
// Sigstore or PyPI spend them. Claims are decoded to explain a mismatch; a token value is never printed.
import path from "node:path";
import type { CiInfo } from "@polyglot-changesets/core";
import type { JWTPayload } from "jose";
import { redactUrl } from "./http.js";
import { audiences, claimText, decodeIdToken, isExpired } from "./id-token-claims.js";
import { npmAudience } from "./oidc.js";
import type { NpmRelease } from "./plan.js";
import type { Finding } from "./preflight.js";

export interface GitlabCheckInput {
  ci: CiInfo;
  env: NodeJS.ProcessEnv;
  npm: readonly NpmRelease[];
  /** Whether the plan has PyPI targets (some job will run pypi-upload). */
  hasPypiTargets: boolean;
  useOidc: boolean;
  provenance: boolean;
}

const ID_TOKENS_DOC = "https://docs.gitlab.com/ci/yaml/#id_tokens";

/** The GitLab findings: NPM_ID_TOKEN's aud and project_path, SIGSTORE_ID_TOKEN for provenance, PYPI_ID_TOKEN. */
export function gitlabFindings(input: GitlabCheckInput): Finding[] {
  if (input.ci.provider !== "gitlab") return [];
  return [...npmIdTokenFindings(input), ...sigstoreFindings(input), ...pypiIdTokenFindings(input)];
}

function npmIdTokenFindings(input: GitlabCheckInput): Finding[] {
  const token = input.env.NPM_ID_TOKEN;
  if (!token || !input.useOidc || input.npm.length === 0) return [];
  const decoded = claimsOf("NPM_ID_TOKEN", token);
  if (!("claims" in decoded)) return [decoded];
  const { claims } = decoded;
  const findings: Finding[] = [];
  const registries = [...new Set(input.npm.map((release) => release.registry))];
  for (const registry of registries) {
    const expected = npmAudience(registry);
    if (!audiences(claims).includes(expected)) {
      findings.push({
        code: "npm-id-token-audience",
        level: "error",
        message: `NPM_ID_TOKEN has the claim aud ${claimText(claims, "aud")}, but npm exchanges it at ${redactUrl(registry)} only for aud "${expected}"`,
        fix: `set \`id_tokens: { NPM_ID_TOKEN: { aud: "${expected}" } }\` on the publish job (${ID_TOKENS_DOC})`,
      });
    }
  }
  if (isExpired(claims)) findings.push(expiredFinding("NPM_ID_TOKEN"));
  findings.push(...projectPathFindings(claims, input));
  return findings;
}

/** npm checks provenance against repository.url; the trusted publisher against project_path. */
function projectPathFindings(claims: JWTPayload, input: GitlabCheckInput): Finding[] {
  const projectPath = typeof claims.project_path === "string" ? claims.project_path : undefined;
  if (!projectPath) {
    return [
      {
        code: "gitlab-project-mismatch",
        level: "error",
        message: "NPM_ID_TOKEN has no project_path claim: it is not a GitLab CI ID token",
        fix: `let GitLab set NPM_ID_TOKEN through \`id_tokens:\` (${ID_TOKENS_DOC}); do not set it yourself`,
      },
    ];
  }
  return input.npm.flatMap((release): Finding[] => {
    const repository = gitlabRepositoryPath(release.packageJson);
    if (repository === undefined || repository.toLowerCase() === projectPath.toLowerCase()) return [];
    const file = path.posix.join(release.relativeDir, "package.json");
    return [
      {
        code: "gitlab-project-mismatch",
        level: input.provenance ? "error" : "warning",
        package: release.name,
        message: `${release.name} repository.url names ${repository}, but the claim project_path of NPM_ID_TOKEN is ${JSON.stringify(projectPath)}: npm rejects provenance from another project`,
        fix: `set repository.url in ${file} to git+https://${hostOf(claims)}/${projectPath}.git`,
        file,
      },
    ];
  });
}

function sigstoreFindings(input: GitlabCheckInput): Finding[] {
  if (!input.useOidc || !input.provenance || input.npm.length === 0) return [];
  const token = input.env.SIGSTORE_ID_TOKEN;
  if (!token) {
    return [
      {
        code: "sigstore-id-token-missing",
        level: "error",
        message:
          "provenance is on, but the GitLab job has no SIGSTORE_ID_TOKEN: npm cannot sign the provenance statement",
        fix: `add \`id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }\` to the publish job, or pass --no-provenance (${ID_TOKENS_DOC})`,
      },
    ];
  }
  const decoded = claimsOf("SIGSTORE_ID_TOKEN", token);
  if (!("claims" in decoded)) return [decoded];
  if (audiences(decoded.claims).includes("sigstore"))
    return isExpired(decoded.claims) ? [expiredFinding("SIGSTORE_ID_TOKEN")] : [];
  return [
    {
      code: "sigstore-id-token-audience",
      level: "error",
      message: `SIGSTORE_ID_TOKEN has the claim aud ${claimText(decoded.claims, "aud")}; Sigstore accepts only "sigstore"`,
      fix: "set `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` on the publish job",
    },
  ];
}

function pypiIdTokenFindings(input: GitlabCheckInput): Finding[] {
  if (!input.hasPypiTargets) return [];
  const token = input.env.PYPI_ID_TOKEN;
  if (!token) {
    return [
      {
        code: "pypi-id-token-missing",
        level: "info",
        message: "this job has no PYPI_ID_TOKEN: the job that runs `polyglot-publish pypi-upload` needs one",
        fix: "add `id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }` to the PyPI job (only there, in its protected environment)",
      },
    ];
  }
  const decoded = claimsOf("PYPI_ID_TOKEN", token);
  if (!("claims" in decoded)) return [decoded];
  if (!audiences(decoded.claims).includes("pypi")) {
    return [
      {
        code: "id-token-audience",
        level: "error",
        message: `PYPI_ID_TOKEN has the claim aud ${claimText(decoded.claims, "aud")}; PyPI mints only for "pypi"`,
        fix: "set `id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }` on the PyPI job",
      },
    ];
  }
  return isExpired(decoded.claims) ? [expiredFinding("PYPI_ID_TOKEN")] : [];
}

function claimsOf(variable: string, token: string): { claims: JWTPayload } | Finding {
  const decoded = decodeIdToken(token);
  if (decoded.ok) return { claims: decoded.claims };
  return {
    code: "id-token-malformed",
    level: "error",
    message: `${variable} is ${decoded.reason}`,
    fix: `let GitLab set ${variable} through \`id_tokens:\` (${ID_TOKENS_DOC}); do not set it yourself`,
  };
}

function expiredFinding(variable: string): Finding {
  return {
    code: "id-token-expired",
    level: "error",
    transient: true,
    message: `${variable} has expired (claim exp is in the past)`,
    fix: "re-run the job: GitLab issues fresh ID tokens for every job",
  };
}

function hostOf(claims: JWTPayload): string {
  const uri = typeof claims.ci_config_ref_uri === "string" ? claims.ci_config_ref_uri : "";
  return uri.split("/")[0] || "gitlab.com";
}

/** `group/sub/project` of a repository.url on a GitLab host (any of npm's spellings); undefined elsewhere. */
export function gitlabRepositoryPath(packageJson: Record<string, unknown>): string | undefined {
  const field = packageJson.repository;
  const url = typeof field === "string" ? field : (field as { url?: unknown } | undefined)?.url;
  if (typeof url !== "string") return undefined;
  const shorthand = /^gitlab:([\w.-]+(?:\/[\w.-]+)+)$/.exec(url);
  if (shorthand) return shorthand[1];
  const full =
    /^(?:git\+)?(?:https?:\/\/|ssh:\/\/git@|git@)([^/:]*gitlab[^/:]*)[/:]((?:[\w.-]+\/)+[\w.-]+?)(?:\.git)?\/?$/i.exec(
      url,
    );
  return full?.[2];
}
