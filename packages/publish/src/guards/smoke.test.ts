import { describe, expect, it } from "vitest";
import { rememberSecrets } from "../http.js";
import { runSmoke } from "./smoke.js";

describe("runSmoke's environment", () => {
  it("gives the install scripts and the command no way to an ID token (they could mint a publish token)", async () => {
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      npm_config_offline: "true",
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/request",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token-secret",
      NPM_ID_TOKEN: "eyJ.npm.idtoken",
      PYPI_ID_TOKEN: "eyJ.pypi.idtoken",
      CARGO_ID_TOKEN: "eyJ.cargo.idtoken",
      KEPT: "yes",
    };
    const names = [
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
      "NPM_ID_TOKEN",
      "PYPI_ID_TOKEN",
      "CARGO_ID_TOKEN",
    ];
    const result = await runSmoke({
      root: process.cwd(),
      packages: [],
      command: `node -e "console.log(JSON.stringify(${JSON.stringify(names).replaceAll('"', "'")}.filter((n) => process.env[n] !== undefined)), process.env.KEPT)"`,
      env,
    });
    expect(result.ok).toBe(true);
    expect(result.tail.trim()).toBe("[] yes");
  });

  it("blanks the job's tokens in what the command printed (token mode gives it NODE_AUTH_TOKEN)", async () => {
    const token = "npm_smokeTestCanary0123456789";
    rememberSecrets([token]);
    const result = await runSmoke({
      root: process.cwd(),
      packages: [],
      command: 'node -e "console.log(process.env.NODE_AUTH_TOKEN); process.exit(3)"',
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        npm_config_offline: "true",
        NODE_AUTH_TOKEN: token,
      },
    });
    expect(result).toMatchObject({ ok: false, failedAt: "command", exitCode: 3 });
    expect(result.tail).toBe("***");
  });
});
