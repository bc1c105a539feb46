import { describe, expect, it } from "vitest";
import { explainMintRefusal, explainUploadFailure } from "./explain.js";

/** twine 4's output for a refused upload: the status line, then warehouse's message wrapped by its console. */
function twineFailure(message: string, status = "400 Bad Request"): string {
  return [
    "Uploading distributions to https://upload.pypi.org/legacy/",
    "Uploading event_forge-1.0.0.tar.gz",
    `\u001b[31mERROR   \u001b[0m HTTPError: ${status} from https://upload.pypi.org/legacy/`,
    ...message.match(/.{1,60}(\s|$)/g)!.map((line) => `         ${line.trim()}`),
  ].join("\n");
}

describe("explainUploadFailure", () => {
  it.each([
    [
      "File already exists ('event_forge-1.0.0.tar.gz', with blake2_256 hash 'ab'). See https://pypi.org/help/#file-name-reuse for more information.",
      "pypi-file-exists",
      2,
    ],
    [
      "This filename has already been used, use a different version. See https://pypi.org/help/#file-name-reuse for more information.",
      "pypi-filename-reused",
      2,
    ],
    [
      "The user 'someone' isn't allowed to upload to project 'event-forge'. See https://pypi.org/help/#project-name for more information.",
      "pypi-project-not-owned",
      2,
    ],
    ["Uploading new files to releases older than 14 days is not allowed.", "pypi-release-closed", 2],
    [
      "'1.0.0-rc.1' is an invalid value for Version. Error: Start and end with a letter or numeral.",
      "pypi-version-not-canonical",
      2,
    ],
    [
      "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
      "pypi-auth-refused",
      1,
    ],
    ["Something new went wrong", "pypi-upload-failed", 1],
  ] as const)("%s -> %s", (message, id, exitCode) => {
    const error = explainUploadFailure(
      "event_forge-1.0.0.tar.gz",
      twineFailure(message),
      "https://upload.pypi.org/legacy/",
    );
    expect(error.id).toBe(id);
    expect(error.exitCode).toBe(exitCode);
    expect(error.message).toMatch(new RegExp(`^\\[${id}\\] `));
    // The index's words are kept on one line, without colours.
    expect(error.message).not.toContain("\u001b");
    expect(error.message).toContain(message.slice(0, 30));
  });

  it("never prints a secret the output may hold", async () => {
    const { rememberSecrets } = await import("../http.js");
    rememberSecrets(["pypi-SECRETVALUE-abcdef"]);
    const error = explainUploadFailure(
      "x.tar.gz",
      twineFailure("odd echo pypi-SECRETVALUE-abcdef here"),
      "https://x/",
    );
    expect(error.message).not.toContain("SECRETVALUE");
  });
});

describe("explainMintRefusal", () => {
  const gitlabClaims = {
    project_path: "group/project",
    ci_config_ref_uri: "gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main",
    environment: "pypi",
    aud: "pypi",
  };

  it("names the claim warehouse names, with this job's value", () => {
    const error = explainMintRefusal(
      [
        {
          code: "invalid-publisher",
          description:
            "valid token, but no corresponding publisher (Check failed for optional claim 'environment')",
        },
      ],
      gitlabClaims,
      ["event-forge"],
      "https://pypi.org",
    );
    expect(error.id).toBe("pypi-invalid-publisher");
    expect(error.message).toContain('the claim environment ("pypi") does not match');
    expect(error.setting).toBe("environment");
    expect(error.fix).toContain(
      'namespace "group", project "project", top-level pipeline file ".gitlab-ci.yml", environment "pypi"',
    );
  });

  it("lists the GitHub claims PyPI matches when warehouse names none", () => {
    const error = explainMintRefusal(
      [
        {
          code: "invalid-publisher",
          description:
            "valid token, but no corresponding publisher (Publisher with matching claims was not found)",
        },
      ],
      {
        repository: "acme/forge",
        job_workflow_ref: "acme/forge/.github/workflows/release.yml@refs/heads/main",
      },
      ["tiny-forge"],
      "https://pypi.org",
    );
    expect(error.message).toContain(
      "no GitHub publisher matches the claims repository, job_workflow_ref, environment",
    );
    expect(error.message).toContain("environment MISSING");
    expect(error.fix).toContain('repository "acme/forge", workflow "release.yml"');
  });

  it.each([
    ["invalid-reuse-token", 1],
    ["invalid-token", 2],
    ["invalid-payload", 2],
    ["invalid-pending-publisher", 2],
    ["not-enabled", 2],
  ])("%s is pypi-mint-refused (exit %s)", (code, exitCode) => {
    const error = explainMintRefusal([{ code, description: "x" }], gitlabClaims, ["p"], "https://pypi.org");
    expect(error.id).toBe("pypi-mint-refused");
    expect(error.exitCode).toBe(exitCode);
  });
});
