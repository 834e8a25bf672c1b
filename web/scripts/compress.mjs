// Writes a gzip copy (<file>.gz) beside each built asset that compresses well (JavaScript, CSS, SVG, JSON),
// which the gateway sends to a browser that accepts gzip (recert_gateway/portal.py): the portal's weight
// over the wire is then the compressed one without a compressing proxy in front. A Vite plugin, so that
// `vite build` and `vite build --watch` (make dev) both write them.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const COMPRESSIBLE = /\.(?:js|css|svg|json|webmanifest)$/;

function compressAll(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) compressAll(path);
    else if (COMPRESSIBLE.test(entry.name)) {
      const original = readFileSync(path);
      const compressed = gzipSync(original, { level: 9 });
      if (compressed.length < original.length) writeFileSync(`${path}.gz`, compressed);
    }
  }
}

/** @returns {import("vite").Plugin} */
export function gzipCopies() {
  let assets = "";
  return {
    name: "recert-gzip-copies",
    apply: "build",
    configResolved(config) {
      assets = join(config.root, config.build.outDir, config.build.assetsDir);
    },
    closeBundle() {
      compressAll(assets);
    },
  };
}
