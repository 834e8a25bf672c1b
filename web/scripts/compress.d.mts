import type { Plugin } from "vite";

/** Writes a gzip copy beside each compressible built asset (see compress.mjs). */
export function gzipCopies(): Plugin;
