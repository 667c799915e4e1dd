// build.mjs bundles the capture page into producers/capturepage/dist (or the
// directory given as the first argument), minified, without source maps,
// deterministic:
//
//   index.html       whitespace between tags collapsed; it loads app.css and
//                    app.js, the first screen (TestBundleSize holds them to
//                    32 KiB gzipped)
//   app.css, app.js  the page's style and its script (src/main.js)
//   seal.js          the sealing code (src/seal.js: HPKE), which app.js loads
//                    as a script once a step shows and sets idvSeal
//   check-worker.js  the worker that runs the document checks (check.wasm,
//                    served beside the page from producers/capturepage/wasm)
//                    on camera frames, started by the document step
//
// The built files are committed so that `go build` works on a fresh clone;
// the Go tests in producers/capturepage rebuild into a temporary directory
// and fail when the committed bundle differs from what these sources give.
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
const script = { format: "iife", target: "es2020", platform: "browser", legalComments: "eof", sourcemap: false };
await bundled("main.js", "app.js", script);
await bundled("seal.js", "seal.js", { ...script, globalName: "idvSeal" });
await bundled("check-worker.js", "check-worker.js", script);
await bundled("app.css", "app.css", { target: "chrome90" });
// index.html: comments dropped and whitespace between tags collapsed.
const html = await readFile(join(here, "src", "index.html"), "utf8");
await writeFile(join(out, "index.html"), html.replace(/<!--[\s\S]*?-->/g, "").replace(/>\s+</g, "><").trim() + "\n");
