import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

const BLOCK = 512;

/** A gzipped tarball holding `package/<path>` for each file, as `npm pack` lays it out. */
export function packTarball(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    blocks.push(tarHeader(`package/${path}`, data.length), data, Buffer.alloc(padding(data.length)));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks));
}

/** The publish document `npm publish` PUTs for one new version carrying `tarball`. */
export function publishDocument(
  registryUrl: string,
  manifest: { name: string; version: string } & Record<string, unknown>,
  tarball: Buffer,
): Record<string, unknown> {
  const { name, version } = manifest;
  const filename = `${name.replace(/^@[^/]+\//, "")}-${version}.tgz`;
  return {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: {
        ...manifest,
        _id: `${name}@${version}`,
        dist: {
          shasum: createHash("sha1").update(tarball).digest("hex"),
          integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
          tarball: `${registryUrl}${name}/-/${filename}`,
        },
      },
    },
    access: "public",
    _attachments: {
      [filename]: {
        content_type: "application/octet-stream",
        data: tarball.toString("base64"),
        length: tarball.length,
      },
    },
  };
}

function tarHeader(path: string, size: number): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar path too long for a plain ustar header: ${path}`);
  const header = Buffer.alloc(BLOCK);
  header.write(path, 0, 100, "utf8");
  header.write(octal(0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(Math.floor(Date.UTC(1985, 9, 26, 8, 15) / 1000), 12), 136);
  header.write("        ", 148); // checksum is computed with its own field as spaces
  header.write("0", 156);
  header.write("ustar\u000000", 257, "binary");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, "0")}\u0000 `, 148, "binary");
  return header;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\u0000`;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
