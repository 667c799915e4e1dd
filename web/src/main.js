// IDV's hosted capture page: consent, document, selfie frames performing
// the liveness challenge, sealed upload, then the check: the page waits for
// it and, when a check asks for a photo again (a retake), says what and
// why and takes it again for the session's next attempt. The result itself
// is never shown. It speaks only the public app API; the app token is read
// once from the URL fragment, kept in memory and removed from the address
// bar. Without a camera (a desktop) the person continues on a phone: a
// hand-off code, shown as a QR code of its short link, gives the phone a
// token of its own (#handoff=<code>), and this page follows the session
// meanwhile.
//
// Before anything is taken, the consent screen says who asks and why,
// exactly what is taken (a photo of the face only when a check uses it),
// who is responsible and how to reach them, and the person's rights, with
// a way to send a request about their data (access, erasure) for this
// session. The customer's name, logo and colour brand the page; the done
// and declined screens link back to the customer's page when its
// allow-list holds the one the link names (#return=…).
//
// With the light challenge (the session's challenge.light), a warning
// comes before the selfie (the screen will change colour; the
// alternative, for people whom changing light can harm, takes no light
// frames and leaves the decision to a person); once frame 0 is taken the
// page asks for the attempt's challenge and shows its colours at once
// while it takes the light frames (light.js). The submit says when each
// frame was taken, relative to the challenge's arrival, and the injection
// signals, yes/no only (signals.js), which the consent screen declares.
//
// The page marks where it is for people using assistive technology (focus
// moves to each screen's heading, and never falls to the body; each selfie
// step is said once in a live region) and for the browser test:
// body[data-screen] names the screen, body[data-step] the selfie step
// being shown, body[data-frames] how many selfie frames were taken,
// body[data-step] is "light" during the light burst, whose tint is
// #light, and body[data-frames] counts the light frames too once it ends;
// body[data-advice] the advice the guidance line of the document screen
// or of the selfie screen gives, and #photo-check[data-result] what the
// check of a photo under review found (checking, ok, issue; none without
// the checks).
//
// This file is the first screen's script (app.js). The sealing code (HPKE,
// seal.js) is more than half of the page's JavaScript and is needed only
// to send, so it is a script of its own, loaded once a step shows; the
// document and face checks run in a worker (checker.js) started by the
// document step and by the selfie screen.
import { APIError, client, upload } from "./api.js";
import { advice, checkCanvas, checkFace, closeChecks, faceAdvice, issues, mrzOK, openChecks } from "./checker.js";
import { pickLanguage, texts, translate } from "./i18n.js";
import { runLight } from "./light.js";
import { watchCamera } from "./signals.js";

const MRZ_SHAPES = [
  [2, 44],
  [2, 36],
  [3, 30],
];
const STEP_SECONDS = 3;

const state = {
  lang: pickLanguage(navigator.languages),
  api: null,
  session: null,
  screen: null, // the function that draws the current screen
  // What the person took, kept in memory (never stored) until the session
  // is decided, so that a retake takes again only what it names.
  front: null,
  back: null,
  mrz: "", // typed only as the fallback of mrzScreen
  frames: [],
  light: [], // the light frames of the attempt's light challenge
  lightDeclined: false, // the person chose the alternative to the light challenge
  signals: null, // the selfie camera's injection signals known so far (signals.js)
  submit: null, // the submit body of the selfie frames' attempt: {attempt, body}
  redo: null, // during a retake, what it takes again: {document, selfie}
  stream: null,
  uploaded: 0, // the attempt whose captures are all stored; only its submit is left
  note: "", // what the checking screen's live region says (a text key)
  handoff: null, // the hand-off code shown: {code, url, qr, expires_at}
  leave: null, // Back from the hand-off: the screen the person came from
  frontMRZ: false, // the front's check found an MRZ that stands alone: the back need not show one
  relabel: null, // while the selfie challenge runs: puts its texts in the current language
  cues: false, // vibrate and beep at each selfie instruction: the person's choice, off by default
};

function t(key, vars = {}) {
  const tenant = state.session ? state.session.tenant_name : "";
  return translate(state.lang, key, { tenant, ...vars });
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

// The steps Back walks through; any other screen (loading, sending, done,
// an error) clears the way back.
const STEPS = new Set(["consent", "retake", "document-front", "review-front", "document-back-choice", "document-back", "review-back", "mrz", "light-warning", "selfie"]);
const trail = []; // the steps shown, the current one last

// show draws screen as the screen called name and, for a step, gives it a
// history entry, so that Back returns to the step before it.
function show(screen, name) {
  render(screen, name);
  if (!STEPS.has(name)) {
    trail.length = 0;
    return;
  }
  sealCode().catch(() => {}); // in time for the send; tried again there
  if (trail.length && trail[trail.length - 1].name === name) {
    trail[trail.length - 1].screen = screen; // the same step drawn again (language, retake)
    return;
  }
  trail.push({ screen, name });
  if (trail.length > 1) history.pushState({ step: trail.length }, "");
}

// Back: the step before, from its own screen (a camera step opens the
// camera again); not while the selfie challenge runs.
window.addEventListener("popstate", () => {
  if (document.body.dataset.step) {
    history.pushState({ step: trail.length }, "");
    return;
  }
  if (trail.length < 2) return;
  trail.pop();
  stopCamera();
  // The face checks serve the selfie screen only; a document step starts
  // the checks again itself.
  if (document.body.dataset.screen === "selfie") closeChecks();
  const prev = trail[trail.length - 1];
  render(prev.screen, prev.name);
});

function render(screen, name) {
  state.screen = screen;
  state.relabel = null;
  document.body.dataset.screen = name;
  delete document.body.dataset.advice;
  document.documentElement.lang = state.lang;
  document.title = t("title");
  const main = document.getElementById("main");
  main.replaceChildren(...[].concat(screen()).filter((c) => c));
  header();
  brand();
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

// header offers the page in each other language, each button named in
// its own language. A switch draws the current screen again, from what
// the person already did (state); during the selfie challenge, whose
// timers and camera must go on, it changes the texts in place instead
// (state.relabel).
function header() {
  const bar = document.getElementById("lang");
  bar.setAttribute("aria-label", t("languages_label"));
  bar.replaceChildren(
    ...Object.keys(texts)
      .filter((l) => l !== state.lang)
      .map((l) => h("button", { type: "button", class: "link", lang: l, "aria-label": texts[l].switch_label, onclick: () => switchTo(l), text: texts[l].language })),
  );
}

// brand puts the customer's branding on the page once the session is
// known: its logo and display name (else its name) in the header, and its
// colour, which IDV held to WCAG AA contrast with the page, on the
// buttons and links. Until then the page is IDV's own.
let branded = "";
function brand() {
  const s = state.session;
  if (!s || branded === s.session_id) return;
  branded = s.session_id;
  if (s.brand_colour) document.documentElement.style.setProperty("--primary", s.brand_colour);
  const name = s.display_name || s.tenant_name;
  document.querySelector(".brand").replaceChildren(...[s.logo_url && h("img", { src: s.logo_url, alt: "", class: "logo" }), name].filter((c) => c));
}

function switchTo(lang) {
  state.lang = lang;
  if (!state.relabel) {
    if (state.screen) show(state.screen, document.body.dataset.screen);
    return;
  }
  document.documentElement.lang = lang;
  document.title = t("title");
  state.relabel();
  header();
  const heading = document.querySelector("#main h1");
  if (heading) heading.focus();
}

function stopCamera() {
  if (state.stream) for (const tr of state.stream.getTracks()) tr.stop();
  state.stream = null;
}

async function startCamera(video, facing) {
  stopCamera();
  state.stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    // resizeMode none: the camera's own frame, never cropped to the ideal
    // size's shape (a phone's portrait 9:16 stream would become a square).
    video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 }, resizeMode: { ideal: "none" } },
  });
  video.srcObject = state.stream;
  await video.play();
}

// openCamera starts the camera into video and enables button once it
// plays, then calls playing; when the camera is refused or missing it
// shows cameraHelp for what, which can ask again with retry.
// A camera that fails after its screen was left (Back while it started:
// play() interrupted) is no refusal: nothing is shown.
function openCamera(video, facing, button, what, retry, playing = () => {}) {
  startCamera(video, facing)
    .then(() => {
      button.disabled = false;
      playing();
    })
    .catch((e) => {
      if (video.isConnected) cameraHelp(what, e, retry);
    });
}

// browserHelp names the instructions for turning the camera on in this
// browser.
function browserHelp() {
  const ua = navigator.userAgent;
  if (/iPhone|iPad|iPod/.test(ua)) return "camera_help_ios";
  if (/Firefox\//.test(ua)) return "camera_help_firefox";
  if (/Android/.test(ua)) return "camera_help_android";
  if (/Safari\//.test(ua) && !/Chrome\//.test(ua)) return "camera_help_safari";
  return "camera_help_chrome";
}

// cameraHelp is where a refused or missing camera leads: how to allow it
// in this browser and a button that asks again; for the document, a photo
// file instead. what is "front", "back" or "selfie".
function cameraHelp(what, err, retry) {
  stopCamera();
  const missing = err && (err.name === "NotFoundError" || err.name === "OverconstrainedError");
  show(() => {
    const parts = [
      h("h1", { text: t(missing ? "camera_missing_heading" : "camera_blocked_heading") }),
      h("p", { id: "camera-help", text: t(missing ? "camera_missing_text" : browserHelp()) }),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", id: "camera-retry", onclick: retry, text: t("camera_retry") }),
        phone(() => cameraHelp(what, err, retry)),
      ),
    ];
    if (what === "selfie") {
      parts.push(h("p", { text: t("selfie_needs_camera") }));
    } else {
      const file = h("input", { type: "file", id: "file", accept: "image/jpeg,image/png", "aria-describedby": "file-hint" });
      file.addEventListener("change", async () => {
        const f = file.files[0];
        if (f) review(what, new Uint8Array(await f.arrayBuffer()), f.type, checkFile(f));
      });
      parts.push(h("label", { for: "file", class: "file", text: t("doc_file") }), file, h("p", { id: "file-hint", class: "hint", text: t("doc_file_hint") }));
    }
    return parts;
  }, "camera-help");
}

// still is the video's current frame on a canvas, as camera pixels
// (un-mirrored, even when the preview is shown mirrored).
function still(video) {
  const c = document.createElement("canvas");
  c.width = video.videoWidth;
  c.height = video.videoHeight;
  c.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0, c.width, c.height);
  return c;
}

// encode is canvas c as the JPEG bytes that are sealed and sent.
async function encode(c) {
  const blob = await new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.92));
  return new Uint8Array(await blob.arrayBuffer());
}

// grab takes the video's current frame as JPEG bytes.
function grab(video) {
  return encode(still(video));
}

// checkFile checks a photo file's pixels as decoded here: null when it
// cannot be decoded or the checks are unavailable.
async function checkFile(blob) {
  try {
    const bmp = await createImageBitmap(blob);
    const c = document.createElement("canvas");
    c.width = bmp.width;
    c.height = bmp.height;
    c.getContext("2d", { willReadFrequently: true }).drawImage(bmp, 0, 0);
    bmp.close();
    return await checkCanvas(c);
  } catch {
    return null;
  }
}

// Screens.

function message(key, extra) {
  return () => [h("h1", { text: t(key) }), extra ? h("p", { text: t(extra) }) : null];
}

function fail(key) {
  stopCamera();
  show(() => [h("h1", { text: t("title") }), h("p", { class: "error", role: "alert", text: t(key) })], "error");
}

// consent says, before anything is taken, who asks and why, exactly what
// is taken (a photo of the face only when a check uses it), what the
// customer receives and for how long IDV keeps it; who is responsible
// and how to reach them, their privacy notice, the person's rights, and
// a way to send a request about their data from here.
function consent() {
  const s = state.session;
  const fields = (s.fields || []).map((f) => h("li", { text: t("field_" + f) }));
  const days = s.retention_days;
  return [
    h("h1", { text: t("consent_heading") }),
    h("p", { text: t("consent_purpose") }),
    s.purpose && h("h2", { text: t("consent_why") }),
    s.purpose && h("p", { id: "purpose", text: s.purpose }),
    h("h2", { text: t("consent_collect") }),
    h("ul", { id: "collect" }, h("li", { text: t("collect_front") }), h("li", { text: t("collect_mrz") }), needsSelfie() && h("li", { text: t("collect_selfie") })),
    liveness() && h("p", { id: "signals", text: t("consent_signals") }),
    h("h2", { text: t("consent_shared") }),
    fields.length ? h("ul", {}, fields) : h("p", { text: t("consent_shared_none") }),
    h("p", { text: days === 1 ? t("consent_retention_1") : t("consent_retention", { days }) }),
    ...controller(),
    ...rightsText(() => show(consent, "consent")),
    h(
      "div",
      { class: "actions" },
      h("button", {
        type: "button",
        class: "primary",
        id: "agree",
        onclick: () => {
          remember(AGREED, state.session.session_id);
          documentSide("front");
        },
        text: t("agree"),
      }),
      h("button", { type: "button", class: "secondary", id: "decline", onclick: () => show(confirmDecline, "decline"), text: t("decline") }),
    ),
  ];
}

// controller names who is responsible for the data, how to reach them
// (a mail or web link) and their privacy notice, as the tenant's policy
// gives them.
function controller() {
  const s = state.session;
  const contact = s.controller_contact;
  const href = contact && (contact.startsWith("https://") ? contact : "mailto:" + contact);
  return [
    h("h2", { text: t("consent_controller_heading") }),
    h("p", { text: t("consent_controller") }),
    contact && h("p", {}, t("consent_contact") + " ", h("a", { href, id: "contact", rel: "noopener noreferrer", target: "_blank", text: contact })),
    s.privacy_notice_url && h("p", {}, h("a", { href: s.privacy_notice_url, id: "notice", rel: "noopener noreferrer", target: "_blank", text: t("consent_notice") })),
  ];
}

// rightsText says what the person may ask of the controller and, when
// the session takes requests, offers to send one; back redraws the
// screen it is on.
function rightsText(back) {
  return [
    h("h2", { text: t("rights_heading") }),
    h("p", { text: t("rights_text") }),
    (state.session.requests || []).length > 0 &&
      h("p", {}, h("button", { type: "button", class: "link", id: "rights", onclick: () => show(() => rights(back), "rights"), text: t("rights_open") })),
  ];
}

// rights offers the requests the session takes (a copy of the data, its
// erasure), each sent at once for this session only; back returns.
function rights(back) {
  return [
    h("h1", { text: t("rights_send_heading") }),
    h("p", { text: t("rights_send_text") }),
    h(
      "div",
      { class: "actions" },
      ...state.session.requests.map((kind) => h("button", { type: "button", class: "secondary", id: "dsr-" + kind, onclick: () => request(kind, back), text: t("dsr_" + kind) })),
      h("button", { type: "button", class: "secondary", id: "rights-back", onclick: back, text: t("decline_no") }),
    ),
  ];
}

// request sends the person's request of kind and says it went to the
// controller; a busy or unreachable server is waited out or offered again.
async function request(kind, back, tries = 0) {
  show(message("loading"), "loading");
  try {
    await state.api.request(kind);
  } catch (e) {
    return askFailed(e, tries, (n) => request(kind, back, n), "rights_send_heading");
  }
  show(
    () => [
      h("h1", { text: t("dsr_sent_heading") }),
      h("p", { role: "status", text: t("dsr_sent_" + kind) }),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "dsr-back", onclick: back, text: t("decline_no") })),
    ],
    "dsr-sent",
  );
}

function confirmDecline() {
  return [
    h("h1", { text: t("decline") }),
    h("p", { text: t("decline_confirm") }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "danger", id: "decline-yes", onclick: decline, text: t("decline_yes") }),
      h("button", { type: "button", class: "secondary", onclick: () => show(consent, "consent"), text: t("decline_no") }),
    ),
  ];
}

async function decline() {
  try {
    await state.api.decline();
    forget();
    show(() => [...message("declined_heading", "declined_text")(), goBack()], "declined");
  } catch (e) {
    if (statusOf(e) === 401 || statusOf(e) === 410) return ended(e);
    if (statusOf(e) === 409) return done("already_sent"); // sent from another tab meanwhile
    offline(decline);
  }
}

// documentSide photographs one side of the document. While the camera
// runs, the guidance line says what to change (guide); the shutter is
// always there, and the page takes the photo itself once the checks are
// satisfied.
function documentSide(side) {
  show(() => {
    openChecks();
    const video = h("video", { playsinline: true, muted: true, autoplay: true, "aria-hidden": "true" });
    const take = h("button", { type: "button", class: "primary", id: "take", disabled: true, text: t("take_photo") });
    const line = h("p", { class: "status", role: "status", id: "advice" });
    let taken = false;
    const live = () => video.isConnected && !taken;
    // use reviews canvas c, the frame taken (by the shutter, or by guide
    // with the answer of its check), encoded; its check is of c's pixels.
    // The shutter stays enabled (and focused, when it was) until the
    // review is drawn: disabling it would drop the focus to the body.
    const use = async (c, answer) => {
      if (taken) return;
      taken = true;
      stopCamera();
      const check = answer ? Promise.resolve(answer) : checkCanvas(c);
      review(side, await encode(c), "image/jpeg", check);
    };
    take.addEventListener("click", () => use(still(video)));
    openCamera(video, "environment", take, side, () => documentSide(side), () => guide(video, side, line, use, live));
    return [
      h("h1", { text: t("doc_heading") }),
      h("h2", { text: side === "front" ? t("doc_front") : t("doc_back") }),
      h("p", { id: "guidance", text: t("doc_guidance") }),
      h("div", { class: "viewfinder document" }, video, h("div", { class: "frame", "aria-hidden": "true" })),
      line,
      // A desktop (a fine pointer) may rather use a phone's camera.
      h("div", { class: "actions" }, take, matchMedia("(pointer: fine)").matches && phone(() => documentSide(side))),
    ];
  }, "document-" + side);
}

// CHECK_EVERY spaces the checks of camera frames: at most 2.5 a second,
// each costing a phone's core about 300 ms; frames that come while one is
// checked are skipped.
const CHECK_EVERY = 400;

// guide checks video's frames, one at a time, while live, and says on
// line (a polite live region) what to change: it changes only when the
// advice does, so a screen reader is not told every frame. A frame that
// passes the gates with its MRZ standing alone, twice in a row, is taken
// (use). Without the checks the line stays empty.
async function guide(video, side, line, use, live) {
  for (let good = 0; live(); ) {
    const started = Date.now();
    const c = still(video);
    const answer = await checkCanvas(c);
    if (!live()) return;
    if (!answer) return advise(line, "");
    const said = advice(answer, side === "back" && !state.frontMRZ);
    good = said === "hold" ? good + 1 : 0;
    if (good === 2) return use(c, answer);
    advise(line, said);
    await new Promise((r) => setTimeout(r, Math.max(0, CHECK_EVERY - (Date.now() - started))));
  }
}

// advise puts advice key on the guidance line, if it is new.
function advise(line, key) {
  if (document.body.dataset.advice === key) return;
  document.body.dataset.advice = key;
  line.textContent = key ? t("advice_" + key) : "";
}

// reasonText is the plain words for a reason code (a generic sentence for
// a code this page does not know).
function reasonText(code) {
  return t(texts.en["reason_" + code] ? "reason_" + code : "reason_other");
}

// review shows the photo taken (bytes), and what its check found once
// check (a promise of the answer, null without the checks) settles: an
// issue is named, and the person may still use the photo.
function review(side, bytes, type = "image/jpeg", check = null) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  let answer = null;
  let result = check ? "checking" : "none";
  const mrzWanted = side === "back" && !state.frontMRZ;
  const says = () =>
    result === "issue" ? [t("photo_issue"), ...issues(answer, mrzWanted).map(reasonText)].join(" ") : result === "none" ? "" : t("photo_" + result);
  const screen = () => [
    h("h1", { text: t("doc_heading") }),
    h("h2", { text: side === "front" ? t("doc_front") : t("doc_back") }),
    h("img", { src: url, alt: side === "front" ? t("doc_front") : t("doc_back"), class: "preview" }),
    h("p", { class: "status", role: "status", id: "photo-check", "data-result": result, text: says() }),
    h(
      "div",
      { class: "actions" },
      h("button", {
        type: "button",
        class: "primary",
        id: "use",
        onclick: () => {
          URL.revokeObjectURL(url);
          state[side] = bytes;
          if (side === "front") state.frontMRZ = mrzOK(answer);
          if (side === "back") afterDocument();
          // A retake takes again the back the person had sent.
          else if (state.redo && state.back) documentSide("back");
          else show(backChoice, "document-back-choice");
        },
        text: t("use_photo"),
      }),
      h("button", { type: "button", class: "secondary", onclick: () => { URL.revokeObjectURL(url); documentSide(side); }, text: t("retake") }),
    ),
  ];
  show(screen, "review-" + side);
  if (!check) return;
  check.then((a) => {
    answer = a;
    result = !a ? "none" : issues(a, mrzWanted).length ? "issue" : "ok";
    const line = document.getElementById("photo-check");
    if (line && state.screen === screen) {
      line.dataset.result = result;
      line.textContent = says();
    }
  });
}

function backChoice() {
  return [
    h("h1", { text: t("doc_back") }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", id: "add-back", onclick: () => documentSide("back"), text: t("add_back") }),
      h("button", {
        type: "button",
        class: "primary",
        id: "skip-back",
        onclick: () => {
          state.back = null;
          afterDocument();
        },
        text: t("skip_back"),
      }),
    ),
  ];
}

// afterDocument goes on from the document's photos. IDV reads the MRZ from
// them; only when that failed twice (the retake names
// mrz_image_unreadable for the third attempt or later) may the person
// type it, as a fallback they can skip.
function afterDocument() {
  closeChecks();
  const unread = (state.session.retake || []).some((r) => r.reasons.includes("mrz_image_unreadable"));
  if (unread && state.session.attempt >= 3) return show(mrzScreen, "mrz");
  state.mrz = "";
  afterMRZ();
}

// needsSelfie: the session takes selfie frames only when a face or
// liveness check will use them (or an older server's slot requires one);
// a document-only session never opens the front camera.
function needsSelfie() {
  const s = state.session;
  const slot = (s.slots || []).find((x) => x.kind === "selfie");
  return (slot && slot.min > 0) || (s.checks || []).some((c) => c === "face" || c === "liveness");
}

// afterMRZ takes the selfie frames, unless the session needs none or a
// retake keeps those in memory; then sends.
function afterMRZ() {
  if (needsSelfie() && (!state.redo || state.redo.selfie || !state.frames.length)) {
    return lightOn() ? show(lightWarning, "light-warning") : show(selfieIntro, "selfie");
  }
  sendAll();
}

// liveness: the session's checks include liveness, whose challenge the
// selfie frames perform (and to which the injection signals go).
function liveness() {
  return (state.session.checks || []).includes("liveness");
}

// lightOn: the session's challenge includes the light challenge.
function lightOn() {
  const c = state.session.challenge;
  return !!(c && c.light);
}

// lightWarning comes before the selfie of a session with the light
// challenge: the screen will change colour for a few seconds, and who
// may be harmed by changing light chooses the alternative, taking no
// light frames (the customer then reviews the session).
function lightWarning() {
  const choose = (declined) => () => {
    state.lightDeclined = declined;
    show(selfieIntro, "selfie");
  };
  return [
    h("h1", { text: t("light_heading") }),
    h("p", { text: t("light_text") }),
    h("p", { class: "warning", id: "light-warning", text: t("light_warning") }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", id: "light-go", onclick: choose(false), text: t("light_go") }),
      h("button", { type: "button", class: "secondary", id: "light-alternative", onclick: choose(true), text: t("light_alternative") }),
    ),
  ];
}

export function normaliseMRZ(text) {
  const lines = text
    .toUpperCase()
    .split(/\r?\n/)
    .map((l) => l.replace(/[\s]/g, "").replace(/[«‹]/g, "<"))
    .filter((l) => l !== "");
  const ok =
    lines.every((l) => /^[A-Z0-9<]+$/.test(l)) &&
    MRZ_SHAPES.some(([n, len]) => lines.length === n && lines.every((l) => l.length === len));
  return ok ? lines.join("\n") + "\n" : null;
}

function mrzScreen() {
  const area = h("textarea", {
    id: "mrz",
    rows: "3",
    spellcheck: "false",
    autocapitalize: "characters",
    autocomplete: "off",
    "aria-describedby": "mrz-hint mrz-error",
  });
  area.value = state.mrz.trim();
  const err = h("p", { id: "mrz-error", class: "error", role: "alert" });
  const form = h(
    "form",
    {
      onsubmit: (e) => {
        e.preventDefault();
        const mrz = normaliseMRZ(area.value);
        if (!mrz) {
          err.textContent = t("mrz_invalid");
          area.setAttribute("aria-invalid", "true");
          area.focus();
          return;
        }
        state.mrz = mrz;
        afterMRZ();
      },
    },
    h("label", { for: "mrz", text: t("mrz_label") }),
    area,
    h("p", { id: "mrz-hint", class: "hint", text: t("mrz_hint") }),
    err,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "mrz-continue", text: t("continue") }),
      h("button", {
        type: "button",
        class: "secondary",
        id: "mrz-skip",
        onclick: () => {
          state.mrz = "";
          afterMRZ();
        },
        text: t("mrz_skip"),
      }),
    ),
  );
  return [h("h1", { text: t("mrz_heading") }), h("p", { text: t("mrz_fallback") }), form];
}

// selfieIntro shows the selfie camera, its oval and Start. Until the
// challenge starts, the guidance line says what to change for the first
// frame (faceGuide): when it needs nothing, the page takes that frame by
// itself and goes on with the steps; Start is always there. During the
// challenge each instruction shows large over the video with its
// countdown (cue), while a live region (#step) says it once, not every
// second; vibration and a beep at each instruction are the person's
// choice (off unless switched on).
function selfieIntro() {
  openChecks();
  const video = h("video", { playsinline: true, muted: true, autoplay: true, class: "mirrored", "aria-hidden": "true" });
  const line = h("p", { class: "status", role: "status", id: "advice" });
  const status = h("p", { class: "sr-only", role: "status", "aria-live": "assertive", id: "step" });
  const cue = h("div", { class: "cue", id: "cue", "aria-hidden": "true", hidden: true });
  const start = h("button", { type: "button", class: "primary", id: "start", disabled: true, text: t("selfie_start") });
  const heading = h("h1", { text: t("selfie_heading") });
  const intro = h("p", { text: t("selfie_intro") });
  let started = false;
  // begin starts the challenge, with first the frame the face check took
  // at performance.now() firstAt (null: Start was pressed, and frame 0 has
  // its countdown too).
  const begin = (first, firstAt) => {
    if (started) return;
    started = true;
    closeChecks();
    advise(line, "");
    // Start goes: the focus, if it was there, moves to the heading rather
    // than to the page's body.
    if (document.activeElement === start) heading.focus();
    start.hidden = true;
    const label = (l) => (l.textContent = t(l.dataset.key));
    state.relabel = () => {
      heading.textContent = t("selfie_heading");
      intro.textContent = t("selfie_intro");
      document.querySelectorAll("[data-key]").forEach(label);
    };
    runChallenge(video, status, cue, first, firstAt).catch(challengeFailed);
  };
  start.addEventListener("click", () => begin(null));
  const live = () => video.isConnected && !started;
  const playing = () => {
    state.signals = watchCamera(video);
    faceGuide(video, line, begin, live);
  };
  openCamera(video, "user", start, "selfie", () => show(selfieIntro, "selfie"), playing);
  return [
    heading,
    intro,
    h("div", { class: "viewfinder face" }, video, h("div", { class: "oval", "aria-hidden": "true" }), cue),
    line,
    status,
    cuesSwitch(),
    h("div", { class: "actions" }, start),
  ];
}

// cuesSwitch lets the person have each instruction of the challenge
// signalled by a vibration and a short beep too (state.cues, off by
// default).
function cuesSwitch() {
  const box = h("input", { type: "checkbox", id: "cues", checked: state.cues });
  box.addEventListener("change", () => {
    state.cues = box.checked;
    if (state.cues) beep(0); // sound starts only after a gesture: this one
  });
  return h("label", { class: "check", for: "cues" }, box, h("span", { "data-key": "selfie_cues", text: t("selfie_cues") }));
}

// signal vibrates and beeps once, for a new instruction, when the person
// asked for it.
function signal() {
  if (!state.cues) return;
  if (navigator.vibrate) navigator.vibrate(200);
  beep(0.15);
}

// beep plays a short 880 Hz tone of seconds (0: none, but the audio is
// unlocked); nothing when the browser has no audio.
let audio = null;
function beep(seconds) {
  try {
    audio = audio || new AudioContext();
    if (!seconds) return;
    const o = audio.createOscillator();
    const g = audio.createGain();
    g.gain.value = 0.2;
    o.frequency.value = 880;
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + seconds);
  } catch {
    // No audio here: the vibration and the words remain.
  }
}

// FACE_EVERY spaces the face checks of the selfie camera's frames: at most
// 3.3 a second, each costing a core 55 to 75 ms on a 1280×720 frame
// (BenchmarkCheckFaceWasm in web/wasm; more on a phone); frames that come
// while one is checked are skipped. FACE_GOOD is how many good answers in
// a row take the first frame: the face right for at least 0.6 s.
const FACE_EVERY = 300;
const FACE_GOOD = 3;

// faceGuide checks video's frames, at the size they are sent, one at a
// time while live, and says on line (a polite live region) what to change:
// come closer, move back, centre the face, only one person, no face seen;
// the line changes only when the advice does. The frame of the last of
// FACE_GOOD good answers in a row is taken as frame 0 (take). Without the
// checks the line stays empty, and Start is the way on.
async function faceGuide(video, line, take, live) {
  for (let good = 0; live(); ) {
    const started = Date.now();
    const at = performance.now();
    const c = still(video);
    const answer = await checkFace(c);
    if (!live()) return;
    if (!answer) return advise(line, "");
    const said = faceAdvice(answer);
    good = said === "hold" ? good + 1 : 0;
    if (good === FACE_GOOD) return take(c, at);
    advise(line, said);
    await new Promise((r) => setTimeout(r, Math.max(0, FACE_EVERY - (Date.now() - started))));
  }
}

// runChallenge takes frame 0 looking straight (first, taken at firstAt,
// when the face check took it already), then asks IDV for the attempt's
// challenge (handOut): with the light challenge, its colours are shown at
// once (runLight) while the light frames are taken; then one frame per
// step of the challenge, in order, each after a short countdown. Each step
// is said once in the live region status (and signalled, when asked for),
// and shown large over the video (cue) with its countdown, which the live
// region does not repeat. Every frame's capture time goes with the submit,
// relative to the challenge's arrival.
async function runChallenge(video, status, cue, first, firstAt) {
  const light = lightOn() && !state.lightDeclined;
  const steps = ["straight", ...(light ? ["light"] : []), ...((state.session.challenge && state.session.challenge.steps) || [])];
  state.frames = [];
  state.light = [];
  state.submit = null;
  const at = []; // each selfie frame's performance.now()
  let lightAt = [];
  let issued = null;
  document.body.dataset.frames = "0";
  const words = h("span", { class: "cue-text" });
  const count = h("span", { class: "cue-count" });
  cue.replaceChildren(words, count);
  cue.hidden = false;
  for (let i = 0; i < steps.length; i++) {
    document.body.dataset.step = steps[i];
    const say = () => t("step_of", { n: i + 1, total: steps.length }) + ": " + t("step_" + steps[i]);
    const relabel = state.relabel;
    state.relabel = () => {
      relabel();
      status.textContent = say();
      words.textContent = t("step_" + steps[i]);
    };
    status.textContent = say();
    words.textContent = t("step_" + steps[i]);
    signal();
    if (steps[i] === "light") {
      count.textContent = "";
      const taken = await runLight(video, issued.light, issued.t0);
      state.light = taken.map((f) => f.bytes);
      lightAt = taken.map((f) => f.at);
    } else if (i === 0 && first) {
      at.push(firstAt);
      state.frames.push(await encode(first));
    } else {
      for (let s = STEP_SECONDS; s > 0; s--) {
        count.textContent = String(s);
        await new Promise((r) => setTimeout(r, 1000));
      }
      at.push(performance.now());
      state.frames.push(await grab(video));
    }
    // The person looks straight at the camera: the challenge is handed
    // out now, and its light shown at once.
    if (i === 0) issued = await handOut();
    state.relabel = relabel;
    document.body.dataset.frames = String(state.frames.length + state.light.length);
  }
  delete document.body.dataset.step;
  state.submit = { attempt: state.session.attempt, body: submitBody(issued, at, lightAt) };
  stopCamera();
  state.relabel = null;
  sendAll();
}

// handOut asks IDV for the attempt's challenge and notes when it arrived
// (t0, performance.now()): ms 0 of its light sequence and of the frames'
// times. null when the session has none to hand out (409: no liveness
// check; 404: a server from before challenges).
async function handOut() {
  try {
    const c = await state.api.challenge();
    return { ...c, t0: performance.now() };
  } catch (e) {
    if ((statusOf(e) === 404 || statusOf(e) === 409) && !lightOn()) return null;
    throw e;
  }
}

// challengeFailed: the challenge could not be handed out or its frames
// taken. An ended session says so; too many challenges for the attempt
// (429) is this page's fault; no answer offers to start the photos of the
// face again; a camera that failed says so.
function challengeFailed(e) {
  stopCamera();
  state.relabel = null;
  delete document.body.dataset.step;
  document.getElementById("light")?.remove();
  const status = statusOf(e);
  if (status === 401 || status === 410) return ended(e);
  if (status === 0 && !(e instanceof APIError) && !(e instanceof TypeError)) return fail("camera_error");
  if (status === 0 || status === 503 || (status === 429 && e.code !== "challenge_limit")) return offline(() => show(selfieIntro, "selfie"), "selfie_heading");
  show(message("title", "page_error"), "page-error");
}

// submitBody is what the submit says of the attempt's frames: each one's
// capture time in ms after the challenge arrived (none without a
// challenge), whether the person chose the alternative to the light
// challenge, and the camera's injection signals, yes/no only.
function submitBody(issued, at, lightAt) {
  const body = { light_declined: lightOn() && state.lightDeclined, signals: state.signals ? state.signals() : {} };
  if (issued) {
    const ms = (x) => Math.round(x - issued.t0);
    body.timing = { selfie: at.map(ms) };
    if (lightAt.length) body.timing.light = lightAt.map((x) => Math.round(x));
  }
  return body;
}

// uploadAll seals, declares and uploads every capture of the session's
// attempt: what a retake took again and, sealed again for this attempt,
// what the page holds from before.
async function uploadAll(bar, status) {
  const { sealer } = await sealCode();
  const seal = await sealer(state.session);
  const plain = [["document_front", 0, state.front]];
  if (state.back) plain.push(["document_back", 0, state.back]);
  state.frames.forEach((f, i) => plain.push(["selfie", i, f]));
  state.light.forEach((f, i) => plain.push(["light", i, f]));
  if (state.mrz) plain.push(["mrz", 0, new TextEncoder().encode(state.mrz)]);
  const sealed = [];
  for (const [kind, index, bytes] of plain) sealed.push(await seal(kind, index, bytes));
  const { uploads } = await state.api.declare(
    sealed.map((s) => ({ kind: s.kind, index: s.index, size: s.bytes.length, sha256: s.sha256 })),
  );
  bar.max = String(uploads.length + 1);
  for (let i = 0; i < uploads.length; i++) {
    status.textContent = t("upload_sending", { n: i + 1, total: uploads.length });
    await upload(uploads[i], sealed[i]);
    bar.value = String(i + 1);
  }
  state.uploaded = state.session.attempt;
}

// sealCode loads seal.js, the sealing code, as a script of the page's
// own (under its content-hashed name, IDV_ASSETS.seal, which build.mjs
// writes in): it sets idvSeal ({sealer}). Loaded once; a load that failed is
// tried again by the next call (sending again, after the offline screen).
let sealing = null;
function sealCode() {
  if (!sealing) {
    sealing = new Promise((resolve, reject) => {
      const script = h("script", {
        src: IDV_ASSETS.seal,
        onload: () => resolve(window.idvSeal),
        onerror: () => {
          script.remove();
          sealing = null;
          reject(new Error("seal.js did not load"));
        },
      });
      document.head.append(script);
    });
  }
  return sealing;
}

// sendAll uploads what is not stored yet and submits; tries counts
// the tries after a busy or unavailable server.
async function sendAll(tries = 0) {
  const bar = h("progress", { id: "progress", max: "1", value: "0", "aria-label": t("upload_progress") });
  const status = h("p", { class: "status", role: "status", id: "upload-status", text: t("upload_sealing") });
  show(() => [h("h1", { text: t("upload_heading") }), bar, status], "upload");
  try {
    // Once every capture of the attempt is stored, a retry only submits:
    // nothing is sealed or sent twice.
    if (state.uploaded !== state.session.attempt) await uploadAll(bar, status);
    status.textContent = t("upload_submitting");
    await state.api.submit(submission());
    bar.value = bar.max;
  } catch (e) {
    return sendFailed(e, tries);
  }
  poll();
}

// submission is the submit body of the attempt being sent: the frames'
// times only when they were taken for this attempt's challenge (a retake
// of the document alone seals the frames from before for the new
// attempt, which handed out no challenge); the signals in any case.
// Without selfie frames, no body.
function submission() {
  const sub = state.submit;
  if (!sub || !state.frames.length) return undefined;
  if (sub.attempt === state.session.attempt) return sub.body;
  return { light_declined: false, signals: sub.body.signals };
}

// POLL_FOR bounds the wait for the check; after it the person is told
// that the customer will give the outcome (IDV's webhook reaches the
// customer whatever this page does).
const POLL_FOR = 180000;
let polls = 0; // the polling loop running; an older one stops

// watch shows screen as name and asks IDV for the session after 2 s, then
// every ×1.5 up to cap ms (longer when Retry-After says so), while the
// screen shown matches keep: decided → done, never the decision; any other
// answer goes to step, which returns true when it has left; after limit
// ms, done_slow. The screen's live region (pollLine) changes only when the
// connection fails or comes back, so a screen reader is not told every poll.
async function watch(screen, name, keep, step, cap, limit = Infinity) {
  const run = ++polls;
  const until = Date.now() + limit;
  const current = () => run === polls && keep.test(document.body.dataset.screen);
  state.note = "";
  show(screen, name);
  for (let wait = 2000; ; ) {
    await new Promise((r) => setTimeout(r, wait));
    if (!current()) return;
    let s = null;
    let after = 0;
    try {
      s = await state.api.session();
    } catch (e) {
      if (statusOf(e) === 401 || statusOf(e) === 410) return ended(e);
      after = (e.retryAfter || 0) * 1000;
    }
    if (!current()) return;
    note(s ? "" : "checking_photos_offline");
    if (s && s.status === "decided") return done("done_checked");
    if (s && step(s)) return;
    if (Date.now() >= until) return done("done_slow");
    wait = Math.max(Math.min(wait * 1.5, cap), after);
  }
}

// poll shows that the photos are being checked, polling up to every 10 s
// for POLL_FOR: retake_requested → what to take again.
function poll() {
  watch(
    checkingPhotos,
    "checking-photos",
    /^checking-photos$/,
    (s) => {
      if (s.status !== "retake_requested") return false;
      state.session = s;
      retakeScreen();
      return true;
    },
    10000,
    POLL_FOR,
  );
}

function checkingPhotos() {
  return [
    h("h1", { text: t("checking_photos_heading") }),
    h("p", { text: t("checking_photos_text") }),
    h("progress", { "aria-label": t("checking_photos_heading") }),
    pollLine(),
  ];
}

// pollLine is the live region of a screen that polls (note).
function pollLine() {
  return h("p", { class: "status", role: "status", id: "poll-status", text: state.note ? t(state.note) : "" });
}

// note sets what the checking screen's live region says, only when it
// changes.
function note(key) {
  if (state.note === key) return;
  state.note = key;
  const line = document.getElementById("poll-status");
  if (line) line.textContent = key ? t(key) : "";
}

// holds reports whether the page still has the photos of the attempt
// before: not after a reload.
function holds() {
  return state.front && (state.frames.length || !needsSelfie());
}

// retakeScreen says what a check asks the person to take again and why,
// in plain words per reason (a generic sentence for a reason this page
// does not know), and which attempt this is.
function retakeScreen() {
  stopCamera();
  show(() => {
    const s = state.session;
    return [
      h("h1", { text: t("retake_heading") }),
      h("p", { text: t("retake_intro") }),
      ...(s.retake || []).flatMap((r) => [
        h("h2", { text: t(r.capture === "selfie" ? "retake_selfie" : "retake_document") }),
        h("ul", {}, r.reasons.map((c) => h("li", { text: reasonText(c) }))),
      ]),
      holds() ? null : h("p", { text: t("retake_all") }),
      h("p", { id: "attempt", text: t("attempt_of", { n: s.attempt, total: s.max_attempts }) }),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "retake-start", onclick: startRetake, text: t("retake_start") })),
    ];
  }, "retake");
}

// startRetake takes again what the retake names; what it does not name is
// sealed again for the new attempt from the page's memory. After a reload
// the page holds nothing, so everything is taken again.
function startRetake() {
  const names = (c) => (state.session.retake || []).some((r) => r.capture === c);
  state.redo = holds() && (names("document") || names("selfie")) ? { document: names("document"), selfie: names("selfie") } : { document: true, selfie: true };
  // The light frames answer one attempt's sequence only: a new attempt
  // takes them, and the selfie frames with them, again.
  if (lightOn()) state.redo.selfie = true;
  if (state.redo.document) documentSide("front");
  else afterMRZ();
}

// forget drops what the person took: once the session is decided, or can
// take nothing more.
function forget() {
  state.front = state.back = null;
  state.frames = [];
  state.light = [];
  state.submit = null;
  state.mrz = "";
  state.redo = null;
  state.frontMRZ = false;
}

function done(text) {
  // Nothing personal stays in the page once the check is over.
  forget();
  const screen = () => [...message("done_heading", text)(), goBack(), ...rightsText(() => show(screen, "done"))];
  show(screen, "done");
}

// statusOf is the HTTP status of a failed API call; 0 when no answer came
// (no connection, or the answer was lost on the way).
function statusOf(e) {
  return e instanceof APIError ? e.status : 0;
}

// ended shows a screen that offers no retry: the link expired (401) or the
// session ended (410), and nothing this page can send will change that.
function ended(e) {
  stopCamera();
  forget();
  const expired = statusOf(e) === 401;
  show(message(expired ? "expired_heading" : "ended_heading", expired ? "expired_text" : "ended_text"), expired ? "expired" : "ended");
}

// MAX_TRIES bounds the automatic retries after a busy (429) or unavailable
// (503) answer. Each waits what Retry-After asks, at least 1 s after a 429
// and 2, 4, 8, 16, 30, 30 s after successive 503s.
const MAX_TRIES = 6;

// sendFailed shows each failure its own screen and way forward; none
// offers a retry that cannot succeed.
function sendFailed(e, tries) {
  const status = statusOf(e);
  if (status === 401 || status === 410) return ended(e);
  if ((status === 429 || status === 503) && tries < MAX_TRIES) return retryLater(e, tries, sendAll);
  if (status === 0 || status === 409 || status === 429 || status === 503) return checkArrived(tries);
  // Any other refusal (422: a capture the server will not take) is this
  // page's fault; sending the same again cannot help.
  stopCamera();
  show(message("title", "page_error"), "page-error");
}

// askFailed: asking for a hand-off code, or redeeming one, failed: an
// expired link or ended session says so, a busy or unavailable server is
// waited out, and no answer offers to ask again (again(tries)) under the
// heading head.
function askFailed(e, tries, again, head) {
  const status = statusOf(e);
  if (status === 401 || status === 410) return ended(e);
  if ((status === 429 || status === 503) && tries < MAX_TRIES) return retryLater(e, tries, again, head);
  offline(() => again(0), head);
}

// retryLater waits out a busy or briefly unavailable server with a
// countdown, then sends again (again(tries + 1)); the person may try at
// once.
function retryLater(e, tries, again, head = "upload_heading") {
  let left = Math.max(statusOf(e) === 429 ? 1 : Math.min(2 ** (tries + 1), 30), e.retryAfter || 0);
  const key = statusOf(e) === 429 ? "busy_retry" : "unavailable_retry";
  const line = h("p", { class: "status", role: "status", id: "retry-status", text: t(key, { n: left }) });
  let timer = 0;
  const now = () => {
    clearInterval(timer);
    again(tries + 1);
  };
  show(
    () => [
      h("h1", { text: t(head) }),
      line,
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "retry-now", onclick: now, text: t("try_now") })),
    ],
    "retry-wait",
  );
  timer = setInterval(() => {
    left -= 1;
    if (left <= 0) now();
    else line.textContent = t(key, { n: left });
  }, 1000);
}

// checkArrived asks IDV whether the captures arrived after no answer (or
// 409, another tab having sent them): a session past the attempt being
// sent has them, so the page follows its check; otherwise sending again
// can succeed.
async function checkArrived(tries) {
  show(message("upload_heading", "checking"), "checking");
  let s;
  try {
    s = await state.api.session();
  } catch (e) {
    if (statusOf(e) === 401 || statusOf(e) === 410) return ended(e);
    return offline(() => checkArrived(tries));
  }
  if (s.status === "created" || (s.status === "retake_requested" && s.attempt === state.session.attempt)) return offline(() => sendAll(tries));
  resume(s);
}

// resume follows a session whose photos were sent: its check runs, it
// asks for a retake, or it is decided.
function resume(s) {
  state.session = s;
  if (s.status === "submitted") return poll();
  if (s.status === "retake_requested") return retakeScreen();
  done("already_sent");
}

// offline says the connection failed and offers to try again, which can
// succeed once it is back.
function offline(retry, head = "upload_heading") {
  show(
    () => [
      h("h1", { text: t(head) }),
      h("p", { class: "error", role: "alert", id: "upload-status", text: t("upload_error") }),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "retry", onclick: () => retry(), text: t("try_again") })),
    ],
    "offline",
  );
}

// phone is the button that continues on a phone; back returns from the
// hand-off to the screen it is on.
function phone(back) {
  return h("button", { type: "button", class: "secondary", id: "handoff", onclick: () => handoff(back), text: t("handoff_heading") });
}

// handoff asks IDV for a hand-off code and shows it, then follows the
// session as the phone takes it on: this page keeps its own token, sees
// handed_off once the phone redeemed the code and the status as its photos
// are checked or taken again, and ends on the done screen, never the
// decision.
async function handoff(back, tries = 0) {
  stopCamera();
  closeChecks();
  state.leave = back;
  show(message("loading"), "loading");
  try {
    state.handoff = await state.api.handoff();
  } catch (e) {
    // 409: the session was sent meanwhile (another tab); follow it.
    return statusOf(e) === 409 ? load() : askFailed(e, tries, (n) => handoff(back, n), "handoff_heading");
  }
  watch(handoffScreen, "handoff", /^handoff|^handed-off/, follow, 3000);
}

// handoffScreen shows the code: the QR code of its short link (or, when
// IDV has no public URL, none), the link as text to type, when the code
// stops working, and a new code at any time.
function handoffScreen() {
  const c = state.handoff;
  const gone = expired();
  return [
    h("h1", { text: t("handoff_heading") }),
    h("p", { text: t("handoff_text") }),
    !gone && h("div", {}, c.qr && qrCode(c.qr), h("p", { id: "handoff-link", class: "code", text: c.url || location.origin + "/h/" + c.code })),
    h("p", { text: gone ? t("handoff_expired") : t("handoff_expires", { time: new Date(c.expires_at).toTimeString().slice(0, 5) }) }),
    pollLine(),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", id: "handoff-new", onclick: () => handoff(state.leave), text: t("handoff_new") }),
      h("button", { type: "button", class: "secondary", id: "handoff-back", onclick: state.leave, text: t("decline_no") }),
    ),
  ];
}

// qrCode draws the QR code IDV computed (rows of "0" and "1", "1" dark)
// as an SVG of one path of unit squares, inside a quiet zone of four
// modules: no image data, nothing the CSP refuses.
function qrCode(rows) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const path = document.createElementNS(ns, "path");
  const n = rows.length + 8;
  let d = "";
  rows.forEach((row, y) => [...row].forEach((m, x) => m === "1" && (d += `M${x + 4} ${y + 4}h1v1h-1z`)));
  path.setAttribute("d", d);
  const attrs = {
    viewBox: `0 0 ${n} ${n}`,
    class: "qr",
    role: "img",
    "aria-label": t("handoff_qr"),
    "aria-describedby": "handoff-link",
    "shape-rendering": "crispEdges",
  };
  for (const k in attrs) svg.setAttribute(k, attrs[k]);
  svg.append(path);
  return svg;
}

// expired: the code shown has expired.
function expired() {
  return Date.parse(state.handoff.expires_at) <= Date.now();
}

// follow shows where the phone is: handed off (the code was used), its
// photos being checked, a photo being taken again. Until then, a code
// that expires is drawn again as expired, once.
function follow(s) {
  const name = !s.handed_off ? "handoff" : { submitted: "handoff-checking", retake_requested: "handoff-retake" }[s.status] || "handed-off";
  if (name !== document.body.dataset.screen || (expired() && document.getElementById("handoff-link"))) {
    show(name === "handoff" ? handoffScreen : following, name);
  }
}

const FOLLOW = {
  "handed-off": ["handoff_heading", "handed_off"],
  "handoff-checking": ["checking_photos_heading", "handoff_checking"],
  "handoff-retake": ["retake_heading", "handoff_retake"],
};

// following is the screen of the phone's progress named FOLLOW.
function following() {
  const [head, text] = FOLLOW[document.body.dataset.screen];
  return [h("h1", { text: t(head) }), h("p", { text: t(text) }), h("progress", { "aria-label": t(head) }), pollLine()];
}

// redeem spends the code a short link brought (#handoff=<code>) for this
// device's own app token, kept as a link's token is; then the page goes on
// as if opened with that link. A code used or expired has its own screen,
// with no retry: only the other screen can give a new one.
async function redeem(code, tries = 0) {
  show(message("loading"), "loading");
  let r;
  try {
    r = await client().redeem(code);
  } catch (e) {
    if (statusOf(e) === 404) return show(message("handoff_invalid_heading", "handoff_invalid"), "handoff-invalid");
    return askFailed(e, tries, (n) => redeem(code, n), "title");
  }
  remember(TOKEN, r.app_token);
  state.api = client(r.app_token);
  load();
}

// The tab's memory across a reload (sessionStorage: this tab only, gone
// when it closes): the app token and whether the person agreed. Never a
// photo or the MRZ.
const TOKEN = "idv-app-token";
const AGREED = "idv-agreed";
const RETURN = "idv-return";

// returnURL is the customer's page to send the person back to at the
// end: the one the link named (#return=…) when the customer's allow-list
// (return_urls) holds it exactly, else the only one listed; "" for none.
// A URL the list does not hold is never offered (no open redirect).
function returnURL() {
  const listed = (state.session && state.session.return_urls) || [];
  const named = recall(RETURN);
  if (named) return listed.includes(named) ? named : "";
  return listed.length === 1 ? listed[0] : "";
}

// goBack is the link back to the customer's page (returnURL), leaving a
// frame the page is shown in; null when there is none.
function goBack() {
  const href = returnURL();
  return href ? h("div", { class: "actions" }, h("a", { class: "button primary", id: "return", href, target: "_top", rel: "noopener", text: t("return_to") })) : null;
}

function remember(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // Storage off (private mode on some browsers): a reload needs the link again.
  }
}

function recall(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

// takeToken moves the app token from the link's fragment to the tab's
// memory and out of the address bar; a reload finds it there. A token in
// the query is not taken (it reached the server's logs on the way): it
// only leaves the address bar.
function takeToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const back = new URLSearchParams(location.hash.slice(1)).get("return");
  if (back) remember(RETURN, back);
  if (location.hash || location.search) history.replaceState(null, "", location.pathname);
  if (token) remember(TOKEN, token);
  return token || recall(TOKEN);
}

function start() {
  const code = new URLSearchParams(location.hash.slice(1)).get("handoff");
  const token = takeToken(); // the fragment leaves the address bar, a code too
  header();
  if (code) return redeem(code);
  if (!token) {
    show(() => [h("h1", { text: t("title") }), h("p", { class: "error", role: "alert", text: t("no_token") })], "error");
    return;
  }
  state.api = client(token);
  load();
}

// load reads the session: a new one starts with consent, one already sent
// goes on with its check (resume), an expired link or ended session says
// that; no answer offers to try again.
async function load() {
  show(message("loading"), "loading");
  try {
    state.session = await state.api.session();
  } catch (e) {
    if (statusOf(e) === 401 || statusOf(e) === 410) return ended(e);
    return offline(load);
  }
  if (state.session.status !== "created") return resume(state.session);
  // After a reload the person who agreed goes on with the photos, which
  // the page never keeps: they are taken again.
  if (recall(AGREED) === state.session.session_id) return documentSide("front");
  show(consent, "consent");
}

start();
