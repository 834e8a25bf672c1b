import { defineConfig } from "vite";
import { gzipCopies } from "./scripts/compress.mjs";

// The portal is served by the gateway at "/" (web/dist): hashed files under /assets are cached for a year,
// every other path answers index.html (deep links). The Content-Security-Policy allows no inline script or
// style, so nothing may be inlined into index.html.
export default defineConfig({
  base: "/",
  plugins: [gzipCopies()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    target: "es2022",
    assetsInlineLimit: 0,
    // Chromium, Firefox and Safari of the last years preload modules themselves: no polyfill in the bundle.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  server: {
    // `npm run dev` (optional): Vite's server in front of a running gateway (make dev, port 8000).
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
