// The first screen's weight: the JavaScript and CSS index.html loads (the entry, its static imports and
// its styles; chunks loaded later, such as the QR code's, are not counted), gzip-compressed as the gateway
// would send them over a compressing proxy. Issue 13's budget: 200 KB. Run after `npm run build`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 200 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let total = 0;
for (const file of files) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`${file}\t${(size / 1024).toFixed(1)} KB`);
}
console.log(`first screen: ${(total / 1024).toFixed(1)} KB of ${BUDGET / 1024} KB compressed`);
if (total > BUDGET) process.exit(1);
