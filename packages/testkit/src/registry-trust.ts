// npm's trusted-publisher management API (`npm trust github|gitlab|list|revoke`, npm >= 11.10), as npm/cli's
// lib/trust-cmd.js and lib/commands/trust/*.js call it:
//   GET    /-/package/<escaped name>/trust        -> [{ id, type, claims, permissions }]
//   POST   /-/package/<escaped name>/trust        body [{ type, claims, permissions }] -> the created configs
//   DELETE /-/package/<escaped name>/trust/<id>
// claims: github { repository: "owner/repo", workflow_ref: { file }, environment? }; gitlab { project_path,
// ci_config_ref_uri: { file }, environment? }. Writes need a logged-in user and a one-time password (npm-otp header); without
// it the answer is 401 with `www-authenticate: OTP`, which npm turns into EOTP. A publisher created here is one
// the token exchange then enforces (same list).
import { randomUUID } from "node:crypto";
import type { ExpressApp, ExpressRequest, PluginContext, VerdaccioStorage } from "./registry-middleware.js";
import type { TrustedPublisher } from "./registry-oidc.js";

/** Allowed actions of a publisher, as npm names them. */
export const TRUST_PERMISSIONS = ["createPackage", "createStagedPackage"] as const;

type Response = Parameters<Parameters<ExpressApp["get"]>[1]>[1];

interface TrustConfigBody {
  id: string;
  type: "github" | "gitlab";
  claims: Record<string, unknown>;
  permissions: string[];
}

export function registerTrustRoutes(
  app: ExpressApp,
  storage: VerdaccioStorage,
  context: PluginContext,
): void {
  const guard = async (req: ExpressRequest, res: Response, write: boolean): Promise<string | undefined> => {
    const name = req.params.name ?? "";
    const user = req.remote_user;
    if (!user?.name) {
      res.status(401).json({ error: "you must be logged in to manage trusted publishers" });
      return undefined;
    }
    if (user.groups?.some((group) => group.startsWith("oidc-package:"))) {
      res.status(403).json({ error: "an OIDC publish token cannot manage trusted publishers" });
      return undefined;
    }
    if (!(await packageExists(storage, req, name))) {
      res.status(404).json({
        error: `package ${name} not found: publish its first version before adding a trusted publisher`,
      });
      return undefined;
    }
    if (write && !otpAccepted(req, context.otp)) {
      res.setHeader("www-authenticate", "OTP");
      res
        .status(401)
        .json({ error: "this operation requires a one-time password (two-factor authentication)" });
      return undefined;
    }
    return name;
  };

  app.get("/-/package/:name/trust", async (req, res) => {
    const name = await guard(req, res, false);
    if (name === undefined) return;
    res.status(200).json(context.publishers.filter((publisher) => publisher.package === name).map(toBody));
  });

  app.post("/-/package/:name/trust", async (req, res) => {
    const name = await guard(req, res, true);
    if (name === undefined) return;
    const parsed = parseConfigs(req.body);
    if (typeof parsed === "string") {
      res.status(400).json({ error: parsed });
      return;
    }
    const created = parsed.map((config) => ({ ...config, package: name, id: randomUUID() }));
    context.publishers.push(...created);
    res.status(201).json(created.map(toBody));
  });

  app.delete("/-/package/:name/trust/:id", async (req, res) => {
    const name = await guard(req, res, true);
    if (name === undefined) return;
    const index = context.publishers.findIndex((p) => p.package === name && p.id === req.params.id);
    if (index < 0) {
      res.status(404).json({ error: "no such trusted publisher" });
      return;
    }
    context.publishers.splice(index, 1);
    res.status(204).end();
  });
}

function otpAccepted(req: ExpressRequest, otp: string | undefined): boolean {
  const given = req.headers["npm-otp"];
  return otp !== undefined && typeof given === "string" && given === otp;
}

/** The stored publisher as npm's API answers it. */
function toBody(publisher: TrustedPublisher): TrustConfigBody {
  const environment = publisher.environment ? { environment: publisher.environment } : {};
  const permissions = publisher.permissions ?? ["createPackage"];
  if (publisher.provider === "gitlab")
    return {
      id: publisher.id ?? "",
      type: "gitlab",
      claims: {
        project_path: publisher.projectPath,
        ci_config_ref_uri: { file: publisher.configPath },
        ...environment,
      },
      permissions,
    };
  return {
    id: publisher.id ?? "",
    type: "github",
    claims: { repository: publisher.repository, workflow_ref: { file: publisher.workflow }, ...environment },
    permissions,
  };
}

/** The request body of a create: an array of configs; anything else is a 400 with the reason. */
type TrustConfig = DistributiveOmit<TrustedPublisher, "package">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function parseConfigs(body: unknown): TrustConfig[] | string {
  if (!Array.isArray(body) || body.length === 0)
    return "the body must be a non-empty array of trust configurations";
  const configs: TrustConfig[] = [];
  for (const item of body as Record<string, unknown>[]) {
    const claims = (item?.claims ?? {}) as Record<string, unknown>;
    const permissions = item?.permissions;
    if (
      !Array.isArray(permissions) ||
      permissions.length === 0 ||
      permissions.some((p) => !TRUST_PERMISSIONS.includes(p))
    )
      return `permissions must list ${TRUST_PERMISSIONS.join(" and/or ")}`;
    const environment = typeof claims.environment === "string" ? { environment: claims.environment } : {};
    if (item.type === "github") {
      const repository = claims.repository;
      const file = (claims.workflow_ref as { file?: unknown } | undefined)?.file;
      if (typeof repository !== "string" || !/^[\w.-]+\/[\w.-]+$/.test(repository))
        return "claims.repository must be owner/repo";
      if (typeof file !== "string" || !/^[^/]+\.ya?ml$/.test(file))
        return "claims.workflow_ref.file must be a workflow file name ending in .yml or .yaml";
      configs.push({
        provider: "github",
        repository,
        workflow: file,
        ...environment,
        permissions: permissions as string[],
      });
    } else if (item.type === "gitlab") {
      const project = claims.project_path;
      const file = (claims.ci_config_ref_uri as { file?: unknown } | undefined)?.file;
      if (typeof project !== "string" || !project.includes("/"))
        return "claims.project_path must be group/project";
      if (typeof file !== "string" || !/^[^/]+\.ya?ml$/.test(file))
        return "claims.ci_config_ref_uri.file must be a pipeline file name";
      configs.push({
        provider: "gitlab",
        projectPath: project,
        configPath: file,
        ...environment,
        permissions: permissions as string[],
      });
    } else {
      return `unsupported trust type ${JSON.stringify(item?.type)} (github or gitlab)`;
    }
  }
  return configs;
}

function packageExists(storage: VerdaccioStorage, req: unknown, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    storage.getPackage({ name, uplinksLook: false, req, callback: (error) => resolve(!error) });
  });
}
