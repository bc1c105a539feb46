import type { IncomingHttpHeaders } from "node:http";
import {
  isLocalVersion,
  isValidProjectName,
  normalizeProjectName,
  normalizeVersion,
  parseDistFilename,
  sameVersion,
} from "./pypi-names.js";
import type { PypiOidc } from "./pypi-oidc.js";
import { digestsOf, makeFile, type PypiFile, type PypiStore } from "./pypi-store.js";

/** One `POST /legacy/` attempt, as the stand-in saw it. Token values are never recorded. */
export interface PypiUpload {
  status: number;
  /** Warehouse's message for a refusal (also sent as the HTTP reason phrase, where twine shows it). */
  message?: string;
  name?: string;
  version?: string;
  filename?: string;
  sha256?: string;
  /** An identical file was already there: answered 200 and nothing stored. */
  duplicate?: boolean;
  auth: "api-token" | "trusted-publisher" | "none";
}

export interface UploadContext {
  store: PypiStore;
  oidc: PypiOidc;
  staticTokens: ReadonlySet<string>;
}

const RELEASE_OPEN_MS = 14 * 24 * 60 * 60 * 1000;
const METADATA_VERSIONS = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4"];
const CORE_METADATA_HELP =
  "See https://packaging.python.org/specifications/core-metadata for more information.";
const INVALID_AUTH =
  "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.";

type Identity = { kind: "api-token" } | { kind: "trusted-publisher"; allows(project: string): boolean };

class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Handles warehouse's `file_upload` action; returns what was recorded (the caller sends the response). */
export async function handleUpload(
  headers: IncomingHttpHeaders,
  body: Buffer,
  context: UploadContext,
): Promise<PypiUpload> {
  const identity = authenticate(headers.authorization, context);
  const auth = identity && typeof identity !== "string" ? identity.kind : "none";
  try {
    if (!identity || typeof identity === "string") throw new UploadRefused(403, identity ?? INVALID_AUTH);
    const form = await parseForm(headers, body);
    return { ...(await storeUpload(form, identity, context)), auth };
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    return { status: error.status, message: error.message, auth };
  }
}

function authenticate(
  authorization: string | undefined,
  context: UploadContext,
): Identity | string | undefined {
  const match = /^Basic\s+(.+)$/i.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  if (colon < 0 || user !== "__token__") return undefined;
  if (context.staticTokens.has(password)) return { kind: "api-token" };
  const minted = context.oidc.lookupToken(password);
  if (!minted) return password.startsWith("pypi-") ? "Invalid API Token: Macaroon not found" : undefined;
  const now = Math.floor(Date.now() / 1000);
  if (now >= minted.expires) return "Invalid API Token: token is expired";
  if (now < minted.notBefore) return "Invalid API Token: token is not yet valid";
  return { kind: "trusted-publisher", allows: minted.allows };
}

async function parseForm(headers: IncomingHttpHeaders, body: Buffer): Promise<FormData> {
  const contentType = headers["content-type"] ?? "";
  if (!contentType.startsWith("multipart/form-data")) {
    throw new UploadRefused(400, "Invalid request: expected a multipart/form-data upload.");
  }
  try {
    return await new Request("http://pypi.invalid/legacy/", {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    }).formData();
  } catch {
    throw new UploadRefused(400, "Invalid request: malformed multipart body.");
  }
}

/** Warehouse's order: fields, permission, extension, digests, duplicates, one sdist per release, file name. */
async function storeUpload(form: FormData, identity: Identity, context: UploadContext) {
  const fields = readFields(form);
  const content = form.get("content");
  if (!(content instanceof File)) throw new UploadRefused(400, "Upload payload does not have a file.");
  authorize(identity, fields.name);
  const filename = content.name;
  checkExtension(filename, fields.filetype);
  const bytes = Buffer.from(await content.arrayBuffer());
  const digests = checkDigests(bytes, fields);
  const base = { name: fields.name, version: fields.version, filename, sha256: digests.sha256 };

  // Since 2026-07 PyPI checks this first: even an identical re-upload to an old release is refused.
  const existingRelease = context.store.release(fields.name, fields.version);
  if (existingRelease && Date.now() - existingRelease.createdAt.getTime() > RELEASE_OPEN_MS) {
    throw new UploadRefused(400, "Uploading new files to releases older than 14 days is not allowed.");
  }
  const existing = context.store.findFile(filename);
  if (existing?.sha256 === digests.sha256) return { status: 200, duplicate: true, ...base };
  if (existing) {
    throw new UploadRefused(
      400,
      `File already exists ('${filename}', with blake2_256 hash '${digests.blake2_256}'). ` +
        "See https://pypi.org/help/#file-name-reuse for more information.",
    );
  }
  const displayName = context.store.project(fields.name)?.name ?? fields.name;
  const sdistThere = context.store
    .release(fields.name, fields.version)
    ?.files.some((file) => file.packagetype === "sdist");
  if (fields.filetype === "sdist" && sdistThere) {
    throw new UploadRefused(400, "Only one sdist may be uploaded per release.");
  }
  checkFilename(filename, fields, displayName);
  const project = context.store.ensureProject(fields.name);
  const release = context.store.ensureRelease(project, fields.version);
  release.summary ??= fields.summary;
  release.requiresPython ??= fields.requiresPython;
  release.files.push(uploadedFile(filename, bytes, fields));
  return { status: 200, ...base };
}

interface UploadFields {
  name: string;
  version: string;
  filetype: PypiFile["packagetype"];
  pyversion: string;
  sha256?: string;
  md5?: string;
  blake2_256?: string;
  summary?: string;
  requiresPython?: string;
}

function readFields(form: FormData): UploadFields {
  const text = (key: string) => {
    const value = form.get(key);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  if (text(":action") !== "file_upload") throw new UploadRefused(400, "Unknown action.");
  if (text("protocol_version") !== "1") throw new UploadRefused(400, "Unknown protocol version.");
  const metadataVersion = text("metadata_version") ?? "";
  if (!METADATA_VERSIONS.includes(metadataVersion)) {
    invalid(metadataVersion, "Metadata-Version", "Use a known metadata version.");
  }
  const name = text("name") ?? "";
  if (!isValidProjectName(name)) {
    invalid(
      name,
      "Name",
      "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
    );
  }
  const version = text("version") ?? "";
  if (!normalizeVersion(version) || version.trim() !== version) {
    invalid(
      version,
      "Version",
      "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
    );
  }
  if (isLocalVersion(version)) invalid(version, "Version", "Can't use PEP 440 local versions.");
  const filetype = text("filetype");
  if (filetype !== "sdist" && filetype !== "bdist_wheel") {
    throw new UploadRefused(400, "Invalid value for filetype. Error: Use a known file type.");
  }
  const pyversion = text("pyversion") ?? (filetype === "sdist" ? "source" : "");
  if (filetype === "bdist_wheel" && !pyversion) {
    throw new UploadRefused(
      400,
      "Invalid value for pyversion. Error: Python version is required for binary distribution uploads.",
    );
  }
  if (filetype === "sdist" && pyversion !== "source") {
    throw new UploadRefused(
      400,
      "Invalid value for pyversion. Error: Use 'source' as Python version for an sdist.",
    );
  }
  const digests = {
    sha256: text("sha256_digest"),
    md5: text("md5_digest"),
    blake2_256: text("blake2_256_digest"),
  };
  if (!digests.sha256 && !digests.md5 && !digests.blake2_256) {
    throw new UploadRefused(400, "Error: Include at least one message digest.");
  }
  return {
    name,
    version,
    filetype,
    pyversion,
    ...digests,
    summary: text("summary"),
    requiresPython: text("requires_python"),
  };
}

function invalid(value: string, field: string, reason: string): never {
  throw new UploadRefused(
    400,
    `'${value}' is an invalid value for ${field}. Error: ${reason} ${CORE_METADATA_HELP}`,
  );
}

function authorize(identity: Identity, name: string): void {
  if (identity.kind === "trusted-publisher" && !identity.allows(name)) {
    throw new UploadRefused(
      403,
      `Invalid API Token: project-scoped token is not valid for project: '${name}'`,
    );
  }
}

function checkExtension(filename: string, filetype: UploadFields["filetype"]): void {
  const extension = filetype === "sdist" ? ".tar.gz" : ".whl";
  if (!filename.endsWith(extension)) {
    throw new UploadRefused(
      400,
      `Invalid file extension: Use ${extension} for ${filetype}. See https://peps.python.org/pep-0527 and https://peps.python.org/pep-0625 for more information.`,
    );
  }
}

/** PEP 625 sdist names and PEP 427 wheel names must spell the normalized project and version exactly. */
function checkFilename(filename: string, fields: UploadFields, projectName: string): void {
  const parsed = parseDistFilename(filename);
  const version = normalizeVersion(parsed?.version ?? "");
  if (!parsed || !version) {
    const kind = fields.filetype === "sdist" ? "source distribution" : "wheel";
    throw new UploadRefused(400, `Invalid ${kind} filename: ${filename}`);
  }
  const normalized = normalizeProjectName(fields.name).replaceAll("-", "_");
  if (normalizeProjectName(parsed.project) !== normalizeProjectName(fields.name)) {
    throw new UploadRefused(400, `Start filename for '${projectName}' with '${normalized}'.`);
  }
  if (fields.filetype === "sdist") {
    const expected = `${normalized}-${normalizeVersion(fields.version)}.tar.gz`;
    if (filename !== expected)
      throw new UploadRefused(400, `Filename '${filename}' is invalid, should be '${expected}'.`);
    return;
  }
  if (parsed.project !== normalized) {
    throw new UploadRefused(
      400,
      `Filename '${filename}' should contain the normalized project name '${normalized}', not '${parsed.project}'.`,
    );
  }
  if (!sameVersion(version, fields.version)) {
    throw new UploadRefused(
      400,
      `Version in filename should be '${normalizeVersion(fields.version)}' not '${version}'.`,
    );
  }
}

function checkDigests(bytes: Buffer, fields: UploadFields) {
  const actual = digestsOf(bytes);
  const mismatched =
    (fields.sha256 && fields.sha256.toLowerCase() !== actual.sha256) ||
    (fields.md5 && fields.md5.toLowerCase() !== actual.md5) ||
    (fields.blake2_256 && fields.blake2_256.toLowerCase() !== actual.blake2_256);
  if (mismatched) {
    throw new UploadRefused(
      400,
      "The digest supplied does not match a digest calculated from the uploaded file.",
    );
  }
  return actual;
}

function uploadedFile(filename: string, bytes: Buffer, fields: UploadFields): PypiFile {
  return makeFile(filename, bytes, fields.filetype, {
    pythonVersion: fields.pyversion,
    ...(fields.requiresPython ? { requiresPython: fields.requiresPython } : {}),
  });
}
