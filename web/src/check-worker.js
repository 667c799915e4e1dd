// check-worker.js runs the server's document photo checks (check.wasm,
// built from document/framecheck by web/wasm/build.sh) off the page's main
// thread: a check of a 1280×720 frame takes about 300 ms, and runs to
// completion once called. The page (checker.js) starts it when a document
// step opens and sends it {id, pixels, width, height}, pixels being a
// frame's RGBA bytes (an ArrayBuffer, transferred); it answers each with
// {id, answer}, answer being what idvCheckDocument returns, or with
// {id, unavailable: true} when the module could not be loaded or has
// stopped, after which the page carries on without it. It loads only from the page's origin:
// wasm_exec.js (Go's glue) and check.wasm.
/* global Go, importScripts */
importScripts("wasm_exec.js");

const ready = (async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch("check.wasm"), go.importObject);
  // The module defines idvCheckDocument and waits for calls; should it
  // stop instead (it could not start), the function stays undefined.
  go.run(instance);
  if (typeof self.idvCheckDocument !== "function") throw new Error("check.wasm defined no idvCheckDocument");
})();
ready.catch(() => {}); // told to the page with each answer, not as an uncaught error

self.onmessage = async (e) => {
  const { id, pixels, width, height } = e.data;
  try {
    await ready;
  } catch {
    self.postMessage({ id, unavailable: true });
    return;
  }
  let answer;
  try {
    answer = self.idvCheckDocument(new Uint8ClampedArray(pixels), width, height);
  } catch {
    // The module stopped (a Go panic ends it): no more answers.
    self.postMessage({ id, unavailable: true });
    return;
  }
  self.postMessage({ id, answer });
};
