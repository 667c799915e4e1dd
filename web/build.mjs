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
// bundled builds one file of src into out, minified, with esbuild's
// further options.
const bundled = (src, file, options) =>
  build({ entryPoints: [join(here, "src", src)], outfile: join(out, file), bundle: true, minify: true, logLevel: "warning", ...options });
await bundled("main.js", "app.js", {
  format: "iife",
  target: "es2020",
  platform: "browser",
  legalComments: "eof",
  sourcemap: false,
});
await bundled("app.css", "app.css", { target: "chrome90" });
// index.html: comments dropped and whitespace between tags collapsed.
const html = await readFile(join(here, "src", "index.html"), "utf8");
await writeFile(join(out, "index.html"), html.replace(/<!--[\s\S]*?-->/g, "").replace(/>\s+</g, "><").trim() + "\n");
