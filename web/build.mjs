// build.mjs bundles the capture page into producers/capturepage/dist (or the
// directory given as the first argument), minified, without source maps,
// deterministic. Every file but index.html is written under a
// content-hashed name, name.<hash>.ext, hash the first 12 hex digits of the
// SHA-256 of the file's bytes, so that producers/capturepage can let
// browsers keep it for a year (Cache-Control: immutable): a changed file is
// a new name, which index.html (never cached) or the script that loads it
// names.
//
//   index.html                whitespace between tags collapsed; it loads
//                             app.<hash>.css and app.<hash>.js, the first
//                             screen (TestBundleSize holds them to 32 KiB
//                             gzipped)
//   app.<hash>.css, .js       the page's style and its script (src/main.js)
//   seal.<hash>.js            the sealing code (src/seal.js: HPKE), which
//                             app.js loads as a script once a step shows and
//                             sets idvSeal
//   check-worker.<hash>.js    the worker that runs the document checks
//                             (check.wasm, served beside the page from
//                             producers/capturepage/wasm) on camera frames,
//                             started by the document step
//
// The scripts find each other's names in IDV_ASSETS, which esbuild defines
// as it bundles them. The checks' module and Go's glue are not built here
// (web/wasm/build.sh writes them into producers/capturepage/wasm): their
// names are hashed by the same rule from the bytes embedded there
// (check.wasm.gz as it is, served as check.<hash>.wasm), which is how
// producers/capturepage names them.
//
// The built files are committed so that `go build` works on a fresh clone;
// the Go tests in producers/capturepage rebuild into a temporary directory
// and fail when the committed bundle differs from what these sources give.
// Files of an older build (a page file under another hash, or unhashed) are
// removed from the output directory.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "producers", "capturepage", "dist"));
const checks = join(here, "..", "producers", "capturepage", "wasm");
await mkdir(out, { recursive: true });

// hashed is name with the hash of bytes before its extension:
// app.js → app.0123456789ab.js (producers/capturepage's hashedName).
const hashed = (name, bytes) => {
  const ext = extname(name);
  return name.slice(0, -ext.length) + "." + createHash("sha256").update(bytes).digest("hex").slice(0, 12) + ext;
};
const written = new Set();
// emit writes bytes under name hashed and returns that name.
const emit = async (name, bytes) => {
  const file = hashed(name, bytes);
  await writeFile(join(out, file), bytes);
  written.add(file);
  return file;
};
// bundled builds one file of src, minified, with esbuild's further
// options, and writes it as file, hashed.
const bundled = async (src, file, options) => {
  const r = await build({
    entryPoints: [join(here, "src", src)],
    outfile: join(out, file),
    write: false,
    bundle: true,
    minify: true,
    logLevel: "warning",
    ...options,
  });
  return emit(file, r.outputFiles[0].contents);
};
// names is IDV_ASSETS as esbuild defines it in the scripts.
const names = (assets) => Object.fromEntries(Object.entries(assets).map(([k, v]) => ["IDV_ASSETS." + k, JSON.stringify(v)]));
const script = { format: "iife", target: "es2020", platform: "browser", legalComments: "eof", sourcemap: false };
const wasm = {
  wasmExec: hashed("wasm_exec.js", await readFile(join(checks, "wasm_exec.js"))),
  checkWasm: hashed("check.wasm", await readFile(join(checks, "check.wasm.gz"))),
};
const checkWorker = await bundled("check-worker.js", "check-worker.js", { ...script, define: names(wasm) });
const seal = await bundled("seal.js", "seal.js", { ...script, globalName: "idvSeal" });
const app = await bundled("main.js", "app.js", { ...script, define: names({ seal, checkWorker }) });
const css = await bundled("app.css", "app.css", { target: "chrome90" });
// index.html: comments dropped, whitespace between tags collapsed, and
// the hashed names in place of app.css and app.js.
const html = (await readFile(join(here, "src", "index.html"), "utf8"))
  .replace(/<!--[\s\S]*?-->/g, "")
  .replace(/>\s+</g, "><")
  .replace('href="app.css"', `href="${css}"`)
  .replace('src="app.js"', `src="${app}"`)
  .trim();
if (!html.includes(css) || !html.includes(app)) throw new Error("src/index.html does not load app.css and app.js");
await writeFile(join(out, "index.html"), html + "\n");
// An older build's files: the page's, hashed otherwise or not at all.
for (const f of await readdir(out)) {
  if (!written.has(f) && /^(app|seal|check-worker)(\.[0-9a-f]{12})?\.(js|css)$/.test(f)) await rm(join(out, f));
}
