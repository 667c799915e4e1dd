// harness.cjs runs the module under Node as the capture page runs it in a
// browser (wasm_exec.js, then idvCheckDocument and idvCheckFace on
// globalThis), for the Go tests of web/wasm. It takes the module gzipped,
// as build.sh leaves it and the server sends it, and decompresses it as a
// browser does:
//
//   node harness.cjs wasm_exec.js check.wasm.gz job.json
//
// job.json: {"repeat": N, "calls": [{"name", "fn" (the function called:
// "idvCheckDocument", the default, or "idvCheckFace"), "width", "height",
// the pixels as one of "path" (a file of raw RGBA bytes), "bytes" (a
// length, zero-filled) or "rgba" (any JSON value, passed as it is), and
// "args" (more arguments, after the height, as they are)}]}. It prints
// {"startup_ms", "results": [{"name", "answer", "ms_per_call"}]}, each
// call made N times (default 1) and its last answer kept.
"use strict";

const fs = require("fs");
const zlib = require("zlib");

// wasm_exec.js writes Go's stdout and stderr through globalThis.fs: the
// real one here (as the toolchain's wasm_exec_node.js does), so that a Go
// panic lands on stderr and not in the JSON on stdout.
globalThis.fs = fs;
require(require("path").resolve(process.argv[2]));

function pixels(call) {
  if ("path" in call) {
    const b = fs.readFileSync(call.path);
    return new Uint8ClampedArray(b.buffer, b.byteOffset, b.length);
  }
  if ("bytes" in call) return new Uint8ClampedArray(call.bytes);
  return call.rgba;
}

async function main() {
  const [, , , wasmPath, jobPath] = process.argv;
  const job = JSON.parse(fs.readFileSync(jobPath, "utf8"));
  const started = performance.now();
  const go = new Go();
  const module = zlib.gunzipSync(fs.readFileSync(wasmPath));
  const { instance } = await WebAssembly.instantiate(module, go.importObject);
  const exited = go.run(instance); // resolves only if the module stops
  for (const fn of ["idvCheckDocument", "idvCheckFace"]) {
    if (typeof globalThis[fn] !== "function") {
      await exited;
      throw new Error(`${wasmPath} defined no ${fn}`);
    }
  }
  const startupMs = performance.now() - started;
  const repeat = job.repeat || 1;
  const results = job.calls.map((call) => {
    const rgba = pixels(call);
    const fn = globalThis[call.fn || "idvCheckDocument"];
    const args = call.args || [];
    let answer;
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) answer = fn(rgba, call.width, call.height, ...args);
    return { name: call.name, answer, ms_per_call: (performance.now() - t0) / repeat };
  });
  process.stdout.write(JSON.stringify({ startup_ms: startupMs, results }) + "\n");
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
