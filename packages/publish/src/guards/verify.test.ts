// The read-back against the testkit Verdaccio: a version seeded as npm publishes it is found with its integrity;
// a wrong integrity, a missing version and missing attestations under provenance are each named.
import { type Registry, startRegistry } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrityOf } from "./tarball.js";
import { verifyPublished } from "./verify.js";

let registry: Registry;
let integrity: string;
let tarballUrl: string;

beforeAll(async () => {
  registry = await startRegistry({
    packages: [{ name: "@acme/read-back", version: "1.0.0", license: "MIT" }],
  });
  const packument = (await (await fetch(`${registry.url}@acme%2fread-back`)).json()) as {
    versions: Record<string, { dist: { integrity: string; tarball: string } }>;
  };
  const dist = packument.versions["1.0.0"]?.dist;
  integrity = dist?.integrity ?? "";
  tarballUrl = dist?.tarball ?? "";
  // The registry's integrity is the tarball's own: what a packed tarball's integrity is compared with.
  const tarball = Buffer.from(await (await fetch(tarballUrl)).arrayBuffer());
  expect(integrityOf(tarball)).toBe(integrity);
});

afterAll(async () => {
  await registry?.close();
});

const anonymous = { provenance: false, authorizationFor: () => undefined };

describe("verifyPublished", () => {
  it("finds the version with the packed tarball's integrity and reports its tarball URL", async () => {
    const [result] = await verifyPublished(
      [{ name: "@acme/read-back", version: "1.0.0", registry: registry.url, integrity }],
      anonymous,
    );
    expect(result).toEqual({
      name: "@acme/read-back",
      version: "1.0.0",
      url: `${registry.url}@acme%2fread-back/1.0.0`,
      tarball: tarballUrl,
      problems: [],
    });
  });

  it("names a version the registry does not serve, an integrity that differs, and missing attestations", async () => {
    const results = await verifyPublished(
      [
        { name: "@acme/read-back", version: "1.0.1", registry: registry.url, integrity },
        { name: "@acme/read-back", version: "1.0.0", registry: registry.url, integrity: "sha512-AAAA" },
      ],
      { provenance: true, authorizationFor: () => undefined },
    );
    expect(results.map((result) => result.problems)).toEqual([
      ["the registry does not serve this version"],
      [
        expect.stringMatching(
          /^its dist\.integrity "sha512-.*\.\.\. is not the packed tarball's sha512-AAAA\.\.\.$/,
        ),
        "it carries no dist.attestations although the publish asked for provenance",
      ],
    ]);
  });

  it("says so when the registry does not answer", async () => {
    const [result] = await verifyPublished(
      [{ name: "@acme/read-back", version: "1.0.0", registry: "http://127.0.0.1:9/", integrity }],
      anonymous,
    );
    expect(result?.problems).toEqual([expect.stringMatching(/^the registry did not answer/)]);
  });
});
