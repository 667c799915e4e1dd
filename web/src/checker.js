// The photo checks the server runs, run on this device: the document
// checks (the quality gates, then the MRZ read and its trust rule), asked
// about camera frames, to guide the person while the camera runs, and
// about the photo taken, to say on its review whether it has an issue;
// and the face check (one face, in the oval, wide enough for the face
// match), asked about the selfie camera's frames before the first is
// taken. What they say is advice only: the person may always take and
// send the photo, and the server checks it again.
//
// They run in a worker (check-worker.js, which loads check.wasm, about
// 1.3 MB), started when a document step or the selfie screen opens, never
// for the first screen. When the worker or its module cannot be loaded,
// every check answers null and the page shows no advice.

let worker = null;
let last = 0; // the id of the last frame sent
const waiting = new Map(); // id → the resolve of its check

// openChecks starts the worker, unless it runs.
export function openChecks() {
  if (worker) return;
  try {
    worker = new Worker(IDV_ASSETS.checkWorker); // check-worker.js, content-hashed by build.mjs
  } catch {
    worker = null;
    return;
  }
  worker.onmessage = (e) => {
    if (e.data.unavailable) return closeChecks();
    const done = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (done) done(e.data.answer);
  };
  // The worker's script or the glue did not load.
  worker.onerror = () => closeChecks();
}

// closeChecks stops the worker (and the memory its module holds); the
// checks waiting answer null. The next document step or selfie screen
// starts it again.
export function closeChecks() {
  if (worker) worker.terminate();
  worker = null;
  for (const done of waiting.values()) done(null);
  waiting.clear();
}

// checkCanvas checks canvas c's pixels as they are (the photo is encoded
// from the same canvas) with the document checks: the module's answer,
// {reasons, measures, mrz: {read, trusted, parsed}}, or null when the
// checks are unavailable or refused the frame.
export function checkCanvas(c) {
  return ask(c, {});
}

// OVAL is the oval the selfie screen draws over its preview (app.css,
// .viewfinder .oval: 25 % in from each side, 8 % from the top and the
// bottom) as fractions of the frame, [x, y, width, height]: the preview
// shows the whole frame, and the oval is centred, so it is the same in
// the mirrored preview as in the camera's pixels.
const OVAL = [0.25, 0.08, 0.5, 0.84];

// checkFace checks canvas c's pixels, a selfie camera frame at the size it
// is sent (the face match's narrowest face is in those pixels), with the
// face check: {faces, reasons, box}, or null when the checks are
// unavailable or refused the frame.
export function checkFace(c) {
  return ask(c, { kind: "face", oval: OVAL });
}

// ask sends canvas c's pixels to the worker with the message's other
// fields (what) and resolves to the answer, or null. The pixels are moved
// to the worker, not copied.
function ask(c, what) {
  if (!worker || !c.width || !c.height) return Promise.resolve(null);
  const { data, width, height } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
  const id = ++last;
  return new Promise((resolve) => {
    waiting.set(id, (a) => resolve(a && !a.error ? a : null));
    worker.postMessage({ id, pixels: data.buffer, width, height, ...what }, [data.buffer]);
  });
}

// mrzOK: the answer's MRZ stands alone, as the server takes a photo's MRZ
// (trusted and parsed).
export function mrzOK(answer) {
  return !!(answer && answer.mrz && answer.mrz.trusted && answer.mrz.parsed);
}

// issues are the reason codes of what an answer found, with
// mrz_image_unreadable added when the photo passes the gates but its MRZ
// does not stand alone although the photo shows lines that may be one
// (mrz.read) or the side should carry them (mrzWanted). The page does not
// know the document: the front of an identity card has no MRZ, so a
// front is not held to one it does not show.
export function issues(answer, mrzWanted) {
  const found = [...(answer.reasons || [])];
  if (!found.length && ((answer.mrz && answer.mrz.read) || mrzWanted) && !mrzOK(answer)) found.push("mrz_image_unreadable");
  return found;
}

// ADVICE is the guidance line's advice for a reason, first things first:
// the document in the frame before its sharpness, then the light.
const ADVICE = [
  ["document_not_in_frame", "fit"],
  ["image_low_resolution", "fit"],
  ["image_blurry", "still"],
  ["image_glare", "glare"],
  ["greyscale_copy", "copy"],
  ["mrz_image_unreadable", "mrz"],
];

// advice is what the guidance line says about a frame (the text
// advice_<name>): the first thing to fix; "hold" when nothing is and the
// MRZ stands alone, so the page takes the photo if the next frame is as
// good; "ready" when nothing is but no MRZ was read; "" for a reason the
// page has no advice for.
export function advice(answer, mrzWanted) {
  const found = issues(answer, mrzWanted);
  const first = ADVICE.find(([code]) => found.includes(code));
  if (first) return first[1];
  if (found.length) return "";
  return mrzOK(answer) ? "hold" : "ready";
}

// FACE_ADVICE is the selfie screen's advice for the face check's reasons,
// in the order the check gives them.
const FACE_ADVICE = [
  ["no_face_selfie", "noface"],
  ["multiple_faces", "alone"],
  ["face_too_small", "closer"],
  ["face_too_large", "back"],
  ["face_off_centre", "centre"],
];

// faceAdvice is what the selfie screen's guidance line says about a face
// check's answer (the text advice_<name>): the first thing to fix; "hold"
// when nothing is, so the page takes the first frame if the next ones are
// as good; "" for a reason the page has no advice for.
export function faceAdvice(answer) {
  const found = answer.reasons || [];
  const first = FACE_ADVICE.find(([code]) => found.includes(code));
  if (first) return first[1];
  return found.length ? "" : "hold";
}
