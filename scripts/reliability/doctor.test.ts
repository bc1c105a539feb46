// doctor against the testkit registry (issue 17, items 1 and 7): a job that nothing can authenticate is an error
// before anything is published; a job whose trusted publisher matches is said to be all good, package by package.
import { describe, expect, test } from "vitest";
import { runPublish } from "./helpers.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { expectNoSecrets, secretsOf } from "./secrets.js";

describe("doctor", () => {
  let servers: Servers;
  let repo: ReleaseRepo;
  const dirs = useServers((started) => (servers = started));

  test("a released repo is ready for the next publish", async () => {
    repo = await createReleaseRepo(servers, { count: 2 });
    dirs.push(repo.dir);
    await prepublish(servers, repo);
    await bumpAll(repo, "1.1.0");
  });

  test("no id-token permission and no token: an error naming both fixes, and the publish stops", async () => {
    const env = actionsEnv(servers, repo);
    const doctor = await runPublish(repo.dir, ["doctor"], env);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(2);
    expect(doctor.stdout).toMatch(
      /::error title=no-credentials::\[no-credentials\] nothing can authenticate/,
    );
    expect(doctor.stdout).toContain("id-token: write");
    expect(doctor.stdout).toContain("or configure a token for");
    expect(doctor.stdout).toContain("no token is configured either");

    const publish = await runPublish(repo.dir, ["--no-provenance"], env);
    expect(publish.code).toBe(2);
    expect(publish.stdout).toContain("nothing was published");
    expect(await registryVersions(servers, repo.names[0]!)).toEqual(["1.0.0"]);
  });

  test("outside CI without a token: an error too, with its fix printed", async () => {
    const env = actionsEnv(servers, repo, { extra: { GITHUB_ACTIONS: undefined, CI: undefined } });
    const doctor = await runPublish(repo.dir, ["doctor"], env);
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/^error: \[no-credentials\]/m);
    // Info findings print their fix as well.
    expect(doctor.stdout).toMatch(/^info: \[oidc-unavailable\].*\n {2}fix: /m);
  });

  test("with an ID token and a matching trusted publisher: each package is confirmed, all good", async () => {
    const env = actionsEnv(servers, repo, { oidc: true });
    const doctor = await runPublish(repo.dir, ["doctor", "--no-provenance", "--json"], env);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    const report = JSON.parse(doctor.stdout);
    const ok = report.findings.filter((finding: { code: string }) => finding.code === "trusted-publisher-ok");
    expect(ok.map((finding: { package: string }) => finding.package).sort()).toEqual([...repo.names].sort());
    expect(report.rows.map((row: { package: string }) => row.package)).toEqual(
      expect.arrayContaining(repo.names),
    );
    expect(doctor.stderr).toContain("all good");
    await expectNoSecrets(secretsOf(servers, env), doctor, repo, env);
  });
});
