// Two publish runs at once on the same release (two CI jobs on the same commit): every version lands once,
// nothing is published twice, and a run that lost a race says why.
import { expect, test } from "vitest";
import { copyInto, parseGithubOutput, runPublish, tempDir } from "./helpers.js";
import {
  actionsEnv,
  createReleaseRepo,
  type ReleaseRepo,
  readText,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

test("two polyglot-publish runs on the same release: each version once, the loser says why", async () => {
  const a = await createReleaseRepo(servers, { count: 4, npmrcToken: servers.token });
  // The second job: the same commit checked out elsewhere, with its own outputs.
  const bDir = await tempDir("pc-rel-publish-twin-");
  await copyInto(a.dir, bDir);
  const b: ReleaseRepo = {
    ...a,
    dir: bDir,
    outputFile: a.outputFile.replace(a.dir, bDir),
    summaryFile: a.summaryFile.replace(a.dir, bDir),
    changesetsOutput: a.changesetsOutput.replace(a.dir, bDir),
  };
  dirs.push(a.dir, bDir);
  // Slow every publish down a little so the two runs overlap.
  servers.registry.faults.add({ path: `/@${a.scope}`, method: "PUT", delayMs: 400, times: 1000 });
  const args = ["--oidc", "off", "--no-provenance"];
  const envA = actionsEnv(servers, a, { extra: canaryEnv() });
  const envB = actionsEnv(servers, b, { extra: canaryEnv() });
  const [ra, rb] = await Promise.all([runPublish(a.dir, args, envA), runPublish(b.dir, args, envB)]);
  servers.registry.faults.clear();
  await expectNoSecrets(secretsOf(servers, envA), ra, a, envA);
  await expectNoSecrets(secretsOf(servers, envB), rb, b, envB);
  const outputsText = (r: ReleaseRepo) => readText(r.outputFile);
  const shown = `A exit ${ra.code}\n${ra.stderr}\n${ra.stdout}\nA outputs:\n${await outputsText(a)}\nB exit ${rb.code}\n${rb.stderr}\n${rb.stdout}\nB outputs:\n${await outputsText(b)}`;

  for (const name of a.names) expect(await registryVersions(servers, name), shown).toEqual(["1.0.0"]);
  const outA = parseGithubOutput(await readText(a.outputFile));
  const outB = parseGithubOutput(await readText(b.outputFile));
  const pubA = JSON.parse(outA["published-packages"] ?? "[]") as { name: string }[];
  const pubB = JSON.parse(outB["published-packages"] ?? "[]") as { name: string }[];
  // Nothing published twice: no package is claimed by both runs, and together they cover the release.
  // (npm packages only: both checkouts tag the private Python bridge locally, which is not a publish.)
  const claimedA = pubA.map((p) => p.name).filter((n) => a.names.includes(n));
  const claimedB = pubB.map((p) => p.name).filter((n) => a.names.includes(n));
  expect(
    claimedA.filter((n) => claimedB.includes(n)),
    shown,
  ).toEqual([]);
  expect([...claimedA, ...claimedB].sort(), shown).toEqual(a.names.slice().sort());
  // A run that did not publish everything it planned says why (and exits 1 unless it treats it as done).
  for (const [run, claimed] of [
    [ra, claimedA],
    [rb, claimedB],
  ] as const) {
    if (claimed.length < a.names.length) {
      expect(`${run.stderr}\n${run.stdout}`, shown).toMatch(
        /already (been )?published|already exists|cannot publish over|EPUBLISHCONFLICT|E403|E409|another (run|publish)/i,
      );
      // ... naming each package it did not claim.
      for (const name of a.names.filter((n) => !claimed.includes(n))) {
        expect(`${run.stderr}\n${run.stdout}`, shown).toContain(name);
      }
    }
    expect([0, 1], shown).toContain(run.code);
  }
  // A re-run after the race publishes nothing: it only creates, in this checkout, the tags of the versions the
  // other job published (each job tagged only its own), and reports those as Changesets would.
  const again = await runPublish(a.dir, args, envA);
  expect(again.code, `${again.stderr}\n${again.stdout}`).toBe(0);
  for (const name of a.names) expect(await registryVersions(servers, name), shown).toEqual(["1.0.0"]);
  const outAgain = parseGithubOutput(await readText(a.outputFile));
  const pubAgain = JSON.parse(outAgain["published-packages"] ?? "[]") as { name: string }[];
  expect(pubAgain.map((p) => p.name).sort(), shown).toEqual(claimedB.slice().sort());
  const third = await runPublish(a.dir, args, envA);
  expect(third.code, `${third.stderr}\n${third.stdout}`).toBe(0);
  expect(parseGithubOutput(await readText(a.outputFile)).published).toBe("false");
});
