import { type GithubApi, startGithubApi } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchPypiWorkflow, dispatchRequest } from "./dispatch.js";

let github: GithubApi;
const REPO = "octo-org/dispatch-repo";
const packages = [{ name: "acme-core", version: "1.2.0rc1", path: "python", tag: "@acme/core@1.2.0-rc.1" }];

beforeAll(async () => {
  github = await startGithubApi();
  github.addWorkflow({
    repo: REPO,
    file: "publish-pypi.yml",
    inputs: { packages: { required: true }, tag: {} },
  });
  github.addWorkflow({ repo: REPO, file: "strict.yml", inputs: ["packages"] });
  github.addToken("ghs_actionsWrite", { permissions: { actions: "write", contents: "write" } });
  github.addToken("ghs_readOnly", { permissions: { actions: "read", contents: "write" } });
});

afterAll(() => github?.close());

function env(token: string | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...github.env(token), GITHUB_REPOSITORY: REPO, GITHUB_REF: "refs/heads/main", ...extra };
}

describe("dispatchPypiWorkflow", () => {
  it("sends workflow_dispatch with the packages and the tag as inputs", async () => {
    const before = github.dispatches.length;
    await dispatchPypiWorkflow({ workflow: "publish-pypi.yml", packages, env: env("ghs_actionsWrite") });
    expect(github.dispatches.slice(before)).toEqual([
      {
        repo: REPO,
        workflow: "publish-pypi.yml",
        ref: "refs/heads/main",
        inputs: { packages: JSON.stringify(packages), tag: "@acme/core@1.2.0-rc.1" },
      },
    ]);
  });

  it.each([
    {
      what: "a workflow not on the default branch (404)",
      workflow: "missing.yml",
      token: "ghs_actionsWrite",
      says: /not found[\s\S]*fix: commit \.github\/workflows\/missing\.yml/,
    },
    {
      what: "a token without actions: write (403)",
      workflow: "publish-pypi.yml",
      token: "ghs_readOnly",
      says: /refused[\s\S]*actions: write/,
    },
    {
      what: "an unknown input (422)",
      workflow: "strict.yml",
      token: "ghs_actionsWrite",
      says: /Unexpected inputs[\s\S]*declare the inputs `packages` and `tag`/,
    },
  ])("explains $what", async ({ workflow, token, says }) => {
    const error = await dispatchPypiWorkflow({ workflow, packages, env: env(token) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    const text = (error as { format(): string }).format();
    expect(text).toMatch(says);
    expect(text).not.toContain(token);
  });

  it("says where the token goes when GITHUB_TOKEN is missing", async () => {
    await expect(
      dispatchPypiWorkflow({ workflow: "publish-pypi.yml", packages, env: env(undefined) }),
    ).rejects.toThrow(/needs GITHUB_TOKEN/);
  });

  it("defaults to api.github.com and needs GITHUB_REPOSITORY", () => {
    expect(
      dispatchRequest({
        workflow: "p.yml",
        packages,
        env: { GITHUB_REPOSITORY: "o/r", GITHUB_REF: "refs/heads/dev" },
      }),
    ).toMatchObject({
      url: "https://api.github.com/repos/o/r/actions/workflows/p.yml/dispatches",
      ref: "refs/heads/dev",
    });
    expect(() => dispatchRequest({ workflow: "p.yml", packages, env: {} })).toThrow(/GITHUB_REPOSITORY/);
  });
});
