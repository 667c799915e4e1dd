// build.mjs bundles the capture page into producers/capturepage/dist (or the
// directory given as the first argument): app.js (esbuild, minified, no
// source maps, deterministic), app.css (esbuild, minified) and
// index.html (whitespace between tags collapsed). The built
// files are committed so that `go build` works on a fresh clone; the Go test
// in producers/capturepage rebuilds into a temporary directory and fails
// when the committed bundle differs from what these sources give.
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "producers", "capturepage", "dist"));
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "app.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  legalComments: "eof",
  sourcemap: false,
  logLevel: "warning",
});
await build({
  entryPoints: [join(here, "src", "app.css")],
  outfile: join(out, "app.css"),
  bundle: true,
  minify: true,
  target: "chrome90",
  logLevel: "warning",
});
// index.html: comments dropped and whitespace between tags collapsed.
const html = await readFile(join(here, "src", "index.html"), "utf8");
await writeFile(join(out, "index.html"), html.replace(/<!--[\s\S]*?-->/g, "").replace(/>\s+</g, "><").trim() + "\n");
