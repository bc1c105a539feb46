// Warehouse's refusals, explained with the fix. The texts matched here are warehouse's own (oidc/views.py,
// oidc/models/*.py, forklift/legacy.py); an unknown text is shown as it came, never dropped.
import { uploadRefusal } from "@polyglot-changesets/core";
import type { JWTPayload } from "jose";
import { redactSecrets, redactUrl } from "../http.js";
import { claimText, githubWorkflowFile, gitlabPipelineFile } from "../id-token-claims.js";
import { PypiUploadError } from "./findings.js";

export interface MintError {
  code: string;
  description: string;
}

/** Printable text from the index: one line, bounded, no secrets. */
function shown(text: string): string {
  const line = redactSecrets(text)
    .replace(/[\r\n]+/g, " ")
    .trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** The claims PyPI matches a publisher on, with this job's values. */
function matchedClaims(claims: JWTPayload): { provider: "GitLab" | "GitHub"; names: string[]; text: string } {
  const gitlab = claims.project_path !== undefined;
  const names = gitlab
    ? ["project_path", "ci_config_ref_uri", "environment"]
    : ["repository", "job_workflow_ref", "environment"];
  return {
    provider: gitlab ? "GitLab" : "GitHub",
    names,
    text: names.map((name) => `${name} ${claimText(claims, name)}`).join(", "),
  };
}

/** The claim warehouse's description names (`Check failed for required claim 'sub'`, `The ci_config_ref_uri...`). */
function namedClaim(description: string): string | undefined {
  return (
    /claim '([a-z_]+)'/.exec(description)?.[1] ??
    /The ([a-z_]+) claim/.exec(description)?.[1] ??
    /Missing claim '([a-z_]+)'/.exec(description)?.[1]
  );
}

function publisherSettings(claims: JWTPayload, projects: readonly string[]): string {
  const list = projects.join(", ");
  const environment = typeof claims.environment === "string" ? claims.environment : undefined;
  if (claims.project_path !== undefined) {
    const path = String(claims.project_path);
    const at = path.lastIndexOf("/");
    return `on PyPI, ${list} > Settings > Publishing: add a GitLab publisher with namespace "${path.slice(0, at)}", project "${path.slice(at + 1)}", top-level pipeline file "${gitlabPipelineFile(claims) ?? ".gitlab-ci.yml"}"${environment ? `, environment "${environment}"` : " and no environment (or run the job in the publisher's environment)"}`;
  }
  const repository = typeof claims.repository === "string" ? claims.repository : "<owner>/<repo>";
  return `on PyPI, ${list} > Settings > Publishing: add a GitHub publisher with repository "${repository}", workflow "${githubWorkflowFile(claims) ?? "<file>.yml"}"${environment ? `, environment "${environment}"` : ""} (a reusable workflow cannot be a PyPI trusted publisher)`;
}

/** A 422 from `/_/oidc/mint-token`, as the finding that names the claim and the fix. */
export function explainMintRefusal(
  errors: readonly MintError[],
  claims: JWTPayload,
  projects: readonly string[],
  index: string,
): PypiUploadError {
  const [first = { code: "unknown", description: "" }] = errors;
  const said = errors.map((error) => `${shown(error.code)}: ${shown(error.description)}`).join("; ");
  const matched = matchedClaims(claims);
  switch (first.code) {
    case "invalid-publisher": {
      const claim = namedClaim(first.description);
      const which = claim
        ? `the claim ${claim} (${claimText(claims, claim)}) does not match`
        : `no ${matched.provider} publisher matches the claims ${matched.names.join(", ")}`;
      return new PypiUploadError(
        "pypi-invalid-publisher",
        `${redactUrl(index)} refused to mint an upload token: ${which}. This job: ${matched.text} (index said: ${said})`,
        { setting: claim ?? matched.names.join(", "), fix: publisherSettings(claims, projects) },
      );
    }
    case "invalid-pending-publisher":
      return new PypiUploadError(
        "pypi-mint-refused",
        `the matching publisher is a "pending" one, but ${projects.join(", ")} already exists (index said: ${said})`,
        {
          fix: "remove the pending publisher and add the same publisher on the existing project's Publishing page",
        },
      );
    case "invalid-reuse-token":
      return new PypiUploadError(
        "pypi-mint-refused",
        `this ID token was already used to mint (index said: ${said})`,
        {
          fix: "mint once per job: re-run the job for a fresh ID token (GitLab issues one per job)",
          exitCode: 1,
        },
      );
    case "invalid-token":
      return new PypiUploadError(
        "pypi-mint-refused",
        `the index rejected the ID token itself: signature, issuer, claim exp/nbf or claim aud (aud ${claimText(claims, "aud")}) (index said: ${said})`,
        {
          setting: "aud",
          fix: "use the ID token the CI issues for this job, with `aud: pypi`; re-run if it expired",
        },
      );
    case "invalid-payload":
      return new PypiUploadError(
        "pypi-mint-refused",
        `the index does not accept ID tokens of this issuer (claim iss ${claimText(claims, "iss")}) (index said: ${said})`,
        {
          setting: "iss",
          fix: "PyPI trusts GitHub Actions and gitlab.com; for another CI, use PYPI_API_TOKEN with --oidc off",
        },
      );
    default:
      return new PypiUploadError(
        "pypi-mint-refused",
        `the index refused to mint an upload token (index said: ${said})`,
        {
          fix: "see the index's message; https://docs.pypi.org/trusted-publishers/troubleshooting/",
        },
      );
  }
}

/** twine's failure output as the finding for it; the index's own words are kept (one line, bounded). */
export function explainUploadFailure(filename: string, output: string, index: string): PypiUploadError {
  const reason = indexReason(output);
  const rule = uploadRefusal(reason);
  if (!rule) {
    return new PypiUploadError(
      "pypi-upload-failed",
      `twine could not upload ${filename} to ${redactUrl(index)}: ${reason || "no message (see twine's output above)"}`,
      { fix: "see twine's output above; re-run to upload only the files still missing", exitCode: 1 },
    );
  }
  return new PypiUploadError(
    rule.code,
    `${filename}: ${rule.what}${reason ? ` (index said: ${reason})` : ""}`,
    {
      fix: rule.fix,
      exitCode: rule.exitCode,
    },
  );
}

/**
 * twine's `HTTPError: 400 Bad Request from <url>` and the lines after it (warehouse's message, wrapped by twine's
 * console), without colours.
 */
function indexReason(output: string): string {
  const lines = plain(output)
    .split(/\r?\n/)
    .map((line) => line.replace(/^(ERROR|WARNING|INFO)\s+/, "").trim());
  const at = lines.findIndex((line) => /HTTPError:/.test(line));
  if (at < 0) return shown(lines.filter(Boolean).at(-1) ?? "");
  return shown(lines.slice(at).filter(Boolean).join(" "));
}

/** Text without ANSI colour sequences. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what this removes
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}
