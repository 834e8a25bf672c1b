// Writes a gzip copy (<file>.gz) beside each built asset that compresses well (JavaScript, CSS, SVG, JSON),
// which the gateway sends to a browser that accepts gzip (recert_gateway/portal.py): the portal's weight
// over the wire is then the compressed one without a compressing proxy in front. Run after `vite build`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const COMPRESSIBLE = /\.(?:js|css|svg|json|webmanifest)$/;
const dist = new URL("../dist/", import.meta.url).pathname;

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (COMPRESSIBLE.test(entry.name)) {
      const original = readFileSync(path);
      const compressed = gzipSync(original, { level: 9 });
      if (compressed.length < original.length) writeFileSync(`${path}.gz`, compressed);
    }
  }
}

walk(join(dist, "assets"));
