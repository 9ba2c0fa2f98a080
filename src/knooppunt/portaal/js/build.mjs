// Builds ../static/js/portaal-sleutels.js from src/ with the pinned packages of package-lock.json
// (`npm ci && node build.mjs`). The output is byte-for-byte reproducible: no timestamps, no source
// maps, no absolute paths, fixed target. tests/unit/test_sleutelbundel.py rebuilds it and compares
// the bytes with the committed file; docs/portaal.md publishes its SHA-256.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const hier = path.dirname(fileURLToPath(import.meta.url));
const uit = process.argv[2] ?? path.join(hier, "..", "static", "js", "portaal-sleutels.js");

await build({
  absWorkingDir: hier,
  entryPoints: ["src/main.js"],
  outfile: uit,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  sourcemap: false,
  metafile: false,
  logLevel: "warning",
});
