import { describe, expect, it } from "vitest";
import { findTrustedPublisher, packageMatches, packageOfWrite, workflowFile } from "./registry-oidc.js";

describe("packageMatches", () => {
  it.each([
    ["@acme/core", "@acme/core", true],
    ["@acme/core", "@acme/core-extra", false],
    ["@acme/*", "@acme/core", true],
    ["@acme/*", "@acmex/core", false],
    ["@rel*/*", "@rel12abc/pkg-0", true],
    ["@rel*/*", "@other/pkg-0", false],
    ["*", "@acme/core", false],
    ["**", "@acme/core", true],
    ["a.b", "aXb", false],
  ])("%s against %s: %s", (pattern, name, expected) => {
    expect(packageMatches(pattern, name)).toBe(expected);
  });
});

describe("workflowFile", () => {
  it("takes the file of the workflow that ran (the caller of a reusable one), before the ref", () => {
    expect(
      workflowFile({
        job_workflow_ref: "acme/shared/.github/workflows/reusable.yml@refs/tags/v1",
        workflow_ref: "acme/widgets/.github/workflows/release.yml@refs/heads/main",
      }),
    ).toBe("release.yml");
    expect(
      workflowFile({ job_workflow_ref: "acme/widgets/.github/workflows/publish.yml@refs/heads/main" }),
    ).toBe("publish.yml");
    expect(workflowFile({})).toBe("");
  });
});

describe("findTrustedPublisher", () => {
  const publishers = [
    { package: "@acme/*", repository: "acme/widgets", workflow: "release.yml", environment: "npm" },
    { package: "@acme/*", repository: "acme/widgets", workflow: "nightly.yml" },
  ];
  const claims = {
    repository: "acme/widgets",
    workflow_ref: "acme/widgets/.github/workflows/nightly.yml@refs/heads/main",
  };

  it("returns the first publisher whose rules all hold", () => {
    expect(findTrustedPublisher(publishers, "@acme/core", claims)).toBe(publishers[1]);
  });

  it("explains every mismatch when none holds", () => {
    expect(findTrustedPublisher(publishers, "@acme/core", { ...claims, repository: "acme/fork" })).toBe(
      "no trusted publisher of @acme/core matches: repository acme/fork is not acme/widgets; " +
        "repository acme/fork is not acme/widgets",
    );
    expect(findTrustedPublisher(publishers, "@other/core", claims)).toBe(
      "no trusted publisher is configured for @other/core",
    );
  });
});

describe("packageOfWrite", () => {
  it.each([
    ["/@acme%2fcore", "@acme/core"],
    ["/@acme%2Fcore/-rev/3-abc", "@acme/core"],
    ["/@acme/core", "@acme/core"],
    ["/plain", "plain"],
    ["/plain/-/plain-1.0.0.tgz/-rev/1", "plain"],
    ["/-/package/@acme%2fcore/dist-tags/latest", "@acme/core"],
    ["/-/user/org.couchdb.user:bob", undefined],
  ])("%s -> %s", (path, expected) => {
    expect(packageOfWrite(path)).toBe(expected);
  });
});
