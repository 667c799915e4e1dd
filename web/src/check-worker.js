// check-worker.js runs the server's photo checks (check.wasm, built from
// document/framecheck and face/presence by web/wasm/build.sh) off the
// page's main thread: a document check of a 1280×720 frame takes about
// 300 ms, a face check about 60 ms, and each runs to completion once
// called. The page (checker.js) starts it when a document step or the
// selfie screen opens and sends it {id, kind, pixels, width, height,
// oval}, pixels being a frame's RGBA bytes (an ArrayBuffer, transferred):
// kind "document" (the default) asks idvCheckDocument, kind "face" asks
// idvCheckFace with oval ([x, y, w, h], fractions of the frame). It
// answers each with {id, answer}, answer being what the function returns,
// or with {id, unavailable: true} when the module could not be loaded,
// does not define the function asked for, or has stopped, after which
// the page carries on without it. It loads only from the page's origin:
// wasm_exec.js (Go's glue) and check.wasm, under the content-hashed names
// build.mjs writes in (IDV_ASSETS) and producers/capturepage serves them by.
/* global Go, importScripts, IDV_ASSETS */
importScripts(IDV_ASSETS.wasmExec);

const ready = (async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch(IDV_ASSETS.checkWasm), go.importObject);
  // The module defines its functions and waits for calls; should it stop
  // instead (it could not start), they stay undefined.
  go.run(instance);
  if (typeof self.idvCheckDocument !== "function") throw new Error("check.wasm defined no idvCheckDocument");
})();
ready.catch(() => {}); // told to the page with each answer, not as an uncaught error

self.onmessage = async (e) => {
  const { id, kind, pixels, width, height, oval } = e.data;
  try {
    await ready;
  } catch {
    self.postMessage({ id, unavailable: true });
    return;
  }
  const face = kind === "face";
  // A module built before the face check has none: no advice on faces.
  const check = face ? self.idvCheckFace : self.idvCheckDocument;
  if (typeof check !== "function") {
    self.postMessage({ id, unavailable: true });
    return;
  }
  let answer;
  try {
    const rgba = new Uint8ClampedArray(pixels);
    answer = face ? check(rgba, width, height, ...oval) : check(rgba, width, height);
  } catch {
    // The module stopped (a Go panic ends it): no more answers.
    self.postMessage({ id, unavailable: true });
    return;
  }
  self.postMessage({ id, answer });
};
