// capture.mjs drives the hosted capture page in headless Chromium as a
// person on a 360 px wide phone would, with Chromium's fake camera playing
// a Y4M file. It is run by the Go test TestCapturePage (cmd/idv), which
// builds the frames; this script only drives and reports.
//
// Input (JSON on stdin): {chromium, url, camera, frames: {step: file},
// documents, mrz, reload_checking, mode:
// "submit"|"decline"|"load"|"camera-denied"|"resume"|"handoff", name (of
// the screenshots), locale, shots, faults, phone_faults, erase,
// document_file, auto, selfies, face_guide, languages, rights, small,
// cues, embed, light, shim, reduced_motion}. With small the phone is
// 360 × 640 (the Go test plays it a portrait 9:16 stream); with cues the person switches the selfie's
// vibration and beep on before Start. On every phone screen shot or
// waited for, the shutter, Start and every primary button must lie inside
// the viewport scrolled to the top, and the challenge's instruction over
// the video (below_fold lists what does not; folded the screens
// checked); focus_lost lists each time the page dropped the focus to the
// body, and vibrations counts the vibrations it asked for. The final
// screen's link back to the customer is reported in return_href. Mode
// "embed" has customer pages (embed: [{origin, name}]) frame the link
// (embedded: whether each showed the consent inside its frame).
// With rights (a request's kind), the person first sends that request
// about their data from the consent screen's rights button (shot on the
// rights screen and once sent; its text reported in request_sent) and
// comes back to the consent. What the consent screen says is reported in
// consent ({collect, purpose, contact, notice, text}), and the cameras the
// page opened (the facingMode it asked for) in cameras.
// "submit" takes the document and the selfie, then follows the check: on
// each retake screen it takes again what the page asks for, the camera
// showing the next of documents (files, one per attempt; default
// [frames.document]) for the document and the next of selfies (one
// {step: file} per attempt; default [frames]) for each selfie step,
// typing mrz when the page offers the MRZ fallback (skipping it without
// mrz); with reload_checking it reloads the page once on the first
// "checking your photos" screen (the screens before the reload are in
// screens_before). The texts of the retake screens are reported in
// retakes. With auto, nobody presses the shutter: once the document
// screen's guidance advises about glare (the camera showing documents[0];
// shot as guidance-glare, its text reported as guidance), the camera
// shows documents[1] and the page takes the photo by itself. With
// face_guide, nobody presses Start either: on the selfie screen the camera
// shows face_guide.file until the guidance line gives face_guide.advice
// (shot as guidance-face, its text reported as face_guidance), then the
// person looking straight, and the page takes frame 0 by itself and goes
// on with the challenge's steps. With languages, the person switches the
// page to German on the document screen, to French on the review, and
// during the challenge's second step to German and back to English, by
// keyboard; each switch ({screen, lang, heading, step: #step's text}) is
// reported in switched, and the review's check after its switch in
// review_after_switch.
// The page checks camera frames with the server's document checks
// (check.wasm, in a worker) and takes the photo by itself once two frames
// in a row pass, and the selfie camera's with the face check, taking
// frame 0 by itself once three in a row are right. So that the runs that
// press the shutter or Start get there first, the module is held at the
// route until the shutter is pressed, and held again once the review's
// check has answered (or before a reload), for the selfie screen; auto
// and "camera-denied" (no camera: the file's review is checked) never
// hold it for the document, face_guide never for the selfie. Every advice
// the guidance lines gave is reported in advice, and each review's check
// ({result, text} of #photo-check) in reviews.
// Light sessions (issue 22): on the light challenge's warning (shot, its
// text in light_warning) the person goes on, or with light "alternative"
// chooses the alternative. Chromium's fake camera cannot see the screen,
// so with shim the front camera is a shim the page does not know of
// (cameraShim, an init script): the fake camera's frames lit by the
// colour the page shows, or with shim "replay", in the first attempt,
// by another sequence, as a recording would be. That replay's burst is
// screenshot once it shows a colour (light_shots, not audited: see
// burstShot), the
// colours the page set are reported per burst in tints (rgb()) and the
// tint's computed transition in light_transitions; with reduced_motion
// the person prefers reduced motion. For every run, the challenges IDV
// handed out (as received) are reported in challenges and the submit
// bodies the page sent in submits.
// "camera-denied" refuses the camera: the document goes in as a file
// (document_file) and the run ends on the selfie's camera help. "resume"
// goes Back from the document to the consent, agrees again, takes the
// front and reloads: the run ends on the screen after the reload, with
// the screens before it in screens_before.
// "handoff" opens the link on a computer (1280 px, a mouse, the camera
// refused): it agrees, meets the camera help and asks to continue on a
// phone, asks for a new code, goes back to the camera help and on to the
// phone again; the hand-off screen's link (reported as link, with the QR code
// screenshot as qr_shot; the first code's link, replaced by a new code,
// as retired_link) is opened by a phone (its own browser, the fake
// camera, phone_faults), which takes the photos; the computer is followed
// meanwhile (handed off, checking, done). The computer's polls are held at
// the route while the phone submits, so that one reaches IDV right after
// the submit and one stays for the checking screen's audit, however quick
// the check: sequence, never a timeout. Then a third browser opens the
// retired link, then the same link again (reused).
// "load" only opens the link and reports the first screen. faults are
// answers put in place of the page's API calls ({path, method, times,
// status, code, retry_after} or, with lost, the call reaches IDV and its
// answer is dropped); erase ({url, key}) has the customer erase the
// session once the person has agreed. `camera` is the file
// Chromium plays; before each photo the script copies the frame of that
// step over it in place (same size), which the fake camera reads from the
// next frame on — it keeps its file open and loops it. Output (JSON on
// stdout): the final screen, the page's CSP header, the URL after load,
// every request the page made, every screen it showed, the screenshots,
// and layout and WCAG findings; and, for a run that ends on the done
// screen, its timing (timing, below).
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cfg = JSON.parse(Buffer.concat(chunks).toString("utf8"));

function showFile(path) {
  // In place, never truncated or renamed: the camera holds the file open.
  writeFileSync(cfg.camera, readFileSync(path), { flag: "r+" });
}

// axe-core checks each screen against WCAG 2.1 A and AA (contrast, labels,
// names, landmarks). It is evaluated through the DevTools protocol, which
// the page's CSP does not govern; the page itself loads nothing of it.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const documents = cfg.documents || [cfg.frames.document];
const selfies = cfg.selfies || [cfg.frames];
copyFileSync(documents[0], cfg.camera);
const report = {
  requests: [],
  shots: [],
  overflow: [],
  console: [],
  a11y: [],
  audited: [],
  reviews: [],
  switched: [],
  folded: [],
  below_fold: [],
  challenges: [],
  submits: [],
};
let opened = 0; // when the link was opened (ms since the epoch)
const shooting = []; // [from, to] of each screenshot with its audit (ms since the epoch)
const hold = !cfg.auto && cfg.mode !== "camera-denied";
const holdFace = !cfg.face_guide; // Start is pressed: the face checks wait
let holding = hold; // the checks' module is held at the route
const held = []; // the module's requests held, to let through
const browsers = []; // {context, profile} of each browser launched

// launch starts a browser of its own (profile, storage) and returns its
// page, watched for requests, errors and screens: a phone (360 px, touch,
// the fake camera; refused for "camera-denied"), or with desktop a
// computer (1280 px, a mouse) whose camera is refused.
async function launch(desktop) {
  const profile = mkdtempSync(join(tmpdir(), "idv-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: cfg.chromium,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // The permission prompt is answered yes, or no for "camera-denied".
      desktop || cfg.mode === "camera-denied" ? "--deny-permission-prompts" : "--use-fake-ui-for-media-stream",
      // embed: the customer's page (https, a route) frames IDV, which the
      // test runs on loopback: Chromium's Local Network Access would keep a
      // public page from framing a loopback one whatever IDV's CSP says.
      ...(cfg.mode === "embed" ? ["--disable-features=LocalNetworkAccessChecks"] : []),
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${cfg.camera}`,
    ],
    // small: a 360 × 640 phone (its camera a portrait 9:16 stream).
    viewport: desktop ? { width: 1280, height: 800 } : { width: 360, height: cfg.small ? 640 : 740 },
    deviceScaleFactor: desktop ? 1 : 2,
    isMobile: !desktop,
    hasTouch: !desktop,
    locale: cfg.locale,
    // reduced_motion: the person prefers reduced motion (the light
    // challenge's transition must stay, all else still).
    reducedMotion: cfg.reduced_motion ? "reduce" : "no-preference",
  });
  browsers.push({ context, profile });
  const p = context.pages()[0] || (await context.newPage());
  p.on("request", (r) => {
    report.requests.push({ method: r.method(), url: r.url() });
    // What the page sent with each submit (timing, light_declined, signals).
    if (r.method() === "POST" && new URL(r.url()).pathname === "/v1/app/session/submit") report.submits.push(r.postData() ? JSON.parse(r.postData()) : null);
  });
  // Each challenge IDV handed out, as the page received it.
  p.on("response", async (r) => {
    if (r.request().method() !== "POST" || new URL(r.url()).pathname !== "/v1/app/session/challenge") return;
    const body = await r.json().catch(() => null);
    if (r.ok() && body) report.challenges.push(body);
  });
  p.on("console", (m) => {
    if (m.type() === "error") report.console.push(m.text());
  });
  p.on("pageerror", (e) => report.console.push(String(e)));
  p.setDefaultTimeout(30000);
  // Every screen the page shows, in order, however briefly, and every
  // advice of a guidance line; for the timing, when each screen and each
  // selfie step (body[data-step]) began, and when each selfie frame was
  // taken: the page encodes a frame (canvas.toBlob) the moment its
  // countdown ends, so a step's countdown is from its data-step to that
  // call. Times are ms since the epoch, as this script's own.
  await p.addInitScript(() => {
    window.__screens = [];
    window.__advice = [];
    window.__times = { screens: [], steps: [], frames: [] };
    const add = (list, v) => v && list[list.length - 1] !== v && list.push(v);
    let step = "";
    new MutationObserver(() => {
      if (!document.body) return;
      const now = Date.now();
      const { screen, advice } = document.body.dataset;
      if (screen && window.__screens[window.__screens.length - 1] !== screen) window.__times.screens.push([screen, now]);
      add(window.__screens, screen);
      add(window.__advice, advice);
      if ((document.body.dataset.step || "") !== step) {
        step = document.body.dataset.step || "";
        if (step) window.__times.steps.push([step, now]);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-screen", "data-advice", "data-step"] });
    // Focus the page lost to the body: a mutation of the page's that
    // leaves the body focused after the element that had the focus was
    // removed, hidden or disabled (the keyboard leaving the page is no
    // loss: the element stays).
    window.__focusLost = [];
    let focused = null;
    document.addEventListener("focusin", (e) => (focused = e.target), true);
    new MutationObserver(() => {
      if (!document.body || !document.body.dataset.screen || document.activeElement !== document.body || !focused) return;
      if (!focused.isConnected || focused.disabled || focused.closest("[hidden]")) {
        window.__focusLost.push(`${document.body.dataset.screen}: ${focused.id || focused.tagName}`);
        focused = null;
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
    // Vibrations the page asked for (the cues it gives when switched on).
    window.__vibrations = 0;
    navigator.vibrate = () => {
      window.__vibrations++;
      return true;
    };
    // Which cameras the page opened (facingMode asked for), and the
    // label of each one's track.
    window.__cameras = [];
    window.__labels = [];
    if (navigator.mediaDevices) {
      const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c) => {
        const f = c && c.video && c.video.facingMode;
        window.__cameras.push(String((f && f.ideal) || f || ""));
        const stream = await gum(c);
        window.__labels.push(stream.getVideoTracks()[0].label);
        return stream;
      };
    }
    const toBlob = HTMLCanvasElement.prototype.toBlob;
    HTMLCanvasElement.prototype.toBlob = function (...args) {
      if (document.body && document.body.dataset.step) window.__times.frames.push(Date.now());
      return toBlob.apply(this, args);
    };
  });
  // The light challenge's tint as the page sets it (#light's colour, as
  // rgb()), one list per burst, and its transition as computed.
  await p.addInitScript(() => {
    window.__tints = [];
    window.__transitions = [];
    let current = null;
    new MutationObserver(() => {
      const el = document.getElementById("light");
      if (!el) return void (current = null);
      if (el !== current) {
        current = el;
        window.__tints.push([]);
        window.__transitions.push(getComputedStyle(el).transition);
      }
      const list = window.__tints[window.__tints.length - 1];
      const c = el.style.backgroundColor;
      if (c && list[list.length - 1] !== c) list.push(c);
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["style"] });
  });
  if (cfg.shim) await p.addInitScript(cameraShim, { mode: cfg.shim, palette: PALETTE, strength: REFLECTION });
  await p.route(
    (u) => /\/check\.[0-9a-f]{12}\.wasm$/.test(u.pathname), // content-hashed
    async (route) => {
      if (holding) await new Promise((go) => held.push(go));
      await route.fallback().catch(() => {}); // a request of a page since left
    },
  );
  return p;
}

// The light challenge's palette (schemas.LightPalette) and how strongly
// the screen's light is reflected by the shim's face (s).
const PALETTE = ["#3366ff", "#33cc66", "#ffcc33", "#33ccff"];
const REFLECTION = 0.3;

// cameraShim stands in for the front camera in the page (an init script:
// the page's own code is unchanged), since Chromium's fake camera cannot
// see the screen: the page gets a canvas.captureStream() that draws the
// fake camera's frames (the test's pictures) lit by the screen, each
// pixel p → p·((1−s) + s·c/255) per channel, c the colour the page shows
// at that moment (#light's computed background, mid-transition too;
// none, no change), s = strength. With mode "replay", the first
// challenge's burst is lit instead as a recording of another session
// would be: at the same times, but in each segment after the baseline
// the palette's colour farthest from the one drawn; later attempts are
// lit by the page's own colours.
function cameraShim({ mode, palette, strength }) {
  const md = navigator.mediaDevices;
  if (!md) return;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const far = (c) => palette.map(rgb).reduce((a, b) => (dist(b, c) > dist(a, c) ? b : a));
  const dist = (a, b) => a.reduce((n, v, i) => n + (v - b[i]) ** 2, 0);
  // The challenges the page received, from its own calls.
  const challenges = [];
  const fetch0 = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const resp = await fetch0(...args);
    if (String(args[0]).endsWith("/v1/app/session/challenge") && resp.ok) {
      resp.clone().json().then((c) => challenges.push(c)).catch(() => {});
    }
    return resp;
  };
  let bursts = 0; // the bursts seen: replay lights the first
  let burst = null; // the current burst: {el, started, replay}
  // colour is the light on the face now: [r, g, b], or null.
  const colour = () => {
    const el = document.getElementById("light");
    if (!el) return (burst = null);
    if (!burst || burst.el !== el) {
      bursts++;
      const c = challenges[challenges.length - 1];
      burst = { el, started: performance.now(), replay: mode === "replay" && bursts === 1 && c && c.light ? c.light.sequence : null };
    }
    if (!burst.replay) return (getComputedStyle(el).backgroundColor.match(/\d+(\.\d+)?/g) || []).slice(0, 3).map(Number);
    let t = performance.now() - burst.started;
    for (const [i, seg] of burst.replay.entries()) {
      if (t < seg.ms || i === burst.replay.length - 1) return i === 0 ? rgb(seg.colour) : far(rgb(seg.colour));
      t -= seg.ms;
    }
  };
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    const stream = await gum(constraints);
    const f = constraints && constraints.video && constraints.video.facingMode;
    if (((f && f.ideal) || f) !== "user") return stream;
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext("2d");
    // The canvas is drawn at the camera's rate (15 frames a second), and
    // again whenever the light changes (every 33 ms while it does): the
    // shim runs on the page's own thread, whose timers the light challenge
    // keeps.
    let drawn = "";
    const draw = () => {
      const c = colour();
      const key = `${Math.floor(performance.now() / 66)} ${c}`;
      if (key === drawn) return;
      drawn = key;
      ctx.globalCompositeOperation = "source-over";
      ctx.drawImage(video, 0, 0);
      if (!c) return;
      ctx.globalCompositeOperation = "multiply";
      ctx.fillStyle = `rgb(${c.map((v) => 255 * (1 - strength) + strength * v).join(",")})`;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    };
    draw();
    const timer = setInterval(draw, 33);
    const out = canvas.captureStream(30);
    const track = out.getVideoTracks()[0];
    const stop = track.stop.bind(track);
    track.stop = () => {
      clearInterval(timer);
      stop();
      stream.getTracks().forEach((t) => t.stop());
    };
    return out;
  };
}

// inject puts faults in place of p's API calls. Playwright runs the routes
// of a request last-registered first, so they are registered backwards:
// the first listed answers first.
async function inject(p, faults) {
  for (const f of [...(faults || [])].reverse()) {
    let left = f.times || 1;
    await p.route(
      (u) => u.pathname === f.path,
      async (route) => {
        if (route.request().method() !== f.method || left <= 0) return route.fallback();
        left--;
        if (f.lost) {
          await route.fetch(); // IDV takes the call; its answer never arrives
          return route.abort("connectionreset");
        }
        const headers = { "Content-Type": "application/json" };
        if (f.retry_after) headers["Retry-After"] = String(f.retry_after);
        await route.fulfill({ status: f.status, headers, body: JSON.stringify({ error: { code: f.code, message: f.code } }) });
      },
    );
  }
}

let page; // the page the steps below act on
try {
  page = await launch(cfg.mode === "handoff");
  await inject(page, cfg.faults);
  if (cfg.mode === "embed") {
    await embed(page);
    throw null; // reported; nothing else to drive
  }

  opened = Date.now();
  const resp = await page.goto(cfg.url);
  report.status = resp.status();
  report.csp = resp.headers()["content-security-policy"] || "";
  const screen = async (name) => {
    await page.waitForSelector(`body[data-screen="${name}"]`);
    const [width, view] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (width > view) report.overflow.push(`${name}: ${width}px in ${view}px`);
    await fold(name);
  };
  // fold checks, as the screen is first seen (scrolled to the top), that
  // the shutter, Start and every primary button shown lie inside the
  // viewport; and, during the challenge, that its instruction lies over
  // the video. Findings go to below_fold, the screens checked to folded.
  const fold = async (name) => {
    const found = await page.evaluate(() => {
      const x = window.scrollX;
      const y = window.scrollY;
      window.scrollTo(0, 0);
      const out = [];
      const inside = (r, b) => r.top >= b.top && r.bottom <= b.bottom && r.left >= b.left && r.right <= b.right;
      const view = { top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth };
      for (const el of document.querySelectorAll("#main .primary, #take, #start")) {
        const r = el.getBoundingClientRect();
        if (el.hidden || r.width === 0) continue;
        if (!inside(r, view)) out.push(`${el.id || el.textContent}: ${Math.round(r.top)}..${Math.round(r.bottom)} of ${view.bottom}`);
      }
      const cue = document.getElementById("cue");
      if (cue && !cue.hidden) {
        const r = cue.getBoundingClientRect();
        if (!inside(r, cue.closest(".viewfinder").getBoundingClientRect()) || !inside(r, view)) out.push(`cue: ${Math.round(r.top)}..${Math.round(r.bottom)}`);
      }
      window.scrollTo(x, y);
      return out;
    });
    report.folded.push(name);
    for (const f of found) report.below_fold.push(`${name}: ${f}`);
  };
  const audit = async (name) => {
    if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
      return {
        passes: r.passes.length,
        violations: r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      };
    });
    report.audited.push(`${name}: ${found.passes} rules passed`);
    for (const v of found.violations) report.a11y.push(`${name}: ${v}`);
  };
  const shot = async (name) => {
    const from = Date.now();
    await fold(name);
    await audit(name);
    const path = join(cfg.shots, `${cfg.name || cfg.mode}-${String(report.shots.length).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    report.shots.push(path);
    shooting.push([from, Date.now()]);
  };
  // Keyboard only: Tab until the control has the focus, then Enter.
  const tabTo = async (selector) => {
    for (let i = 0; i < 20; i++) {
      if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector)) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`${selector} never took the keyboard focus`);
  };
  const press = async (selector) => {
    await tabTo(selector);
    await page.keyboard.press("Enter");
  };

  // switchTo presses the switch to lang and waits for the page to be in
  // lang, its heading changed.
  const switchTo = async (lang) => {
    // The step line's first word, during the challenge (said again each
    // second: it changes within one).
    const word = () => page.evaluate(() => (document.getElementById("step") || { textContent: "" }).textContent.split(" ")[0]);
    const before = [await page.textContent("#main h1"), await word()];
    await press(`#lang button[lang="${lang}"]`);
    await page.waitForFunction(
      ([l, h, w]) => {
        const step = document.getElementById("step");
        return document.documentElement.lang === l && document.querySelector("#main h1").textContent !== h && (!w || step.textContent.split(" ")[0] !== w);
      },
      [lang, ...before],
    );
    report.switched.push({ screen: await current(), lang, heading: await page.textContent("#main h1"), step: await word() });
  };

  // shutter presses the document screen's shutter and lets the checks'
  // module through, for the review's check.
  const shutter = async () => {
    await press("#take");
    holding = false;
    held.splice(0).forEach((go) => go());
  };
  // useFront uses the front under review (shot as review, once its check
  // has answered) and skips the back; the page goes on without asking for
  // the MRZ.
  const useFront = async (review) => {
    await screen("review-front");
    await page.waitForSelector('#photo-check:not([data-result="checking"])');
    report.reviews.push({ result: await page.getAttribute("#photo-check", "data-result"), text: await page.textContent("#photo-check") });
    holding = hold || holdFace;
    await shot(review);
    if (cfg.languages && review === "document-review") {
      await switchTo("fr");
      report.review_after_switch = await page.getAttribute("#photo-check", "data-result");
    }
    await press("#use");
    await screen("document-back-choice");
    await press("#skip-back");
  };

  // The screens a flow can end on.
  const final = ["done", "expired", "ended", "offline", "page-error", "error"].map((n) => `body[data-screen="${n}"]`).join(", ");
  const any = (...names) => [final, ...names.map((n) => `body[data-screen="${n}"]`)].join(", ");
  const current = () => page.evaluate(() => document.body.dataset.screen);
  // next waits for one of the screens named (or a final one) and names it.
  const next = async (names, timeout) => {
    await page.waitForSelector(any(...names), timeout ? { timeout } : {});
    return current();
  };

  // sendRequest sends the person's request of kind from the screen
  // called from (its rights button), shot on the rights screen and once
  // sent, and comes back to that screen; the sent screen's text is
  // reported in request_sent.
  const sendRequest = async (kind, from) => {
    await press("#rights");
    await screen("rights");
    await shot(`${from}-rights`);
    await press(`#dsr-${kind}`);
    await screen("dsr-sent");
    await shot(`${from}-dsr-sent`);
    report.request_sent = await page.textContent("main");
    await press("#dsr-back");
    await screen(from);
  };
  // takeDocument photographs the front (shots prefixed tag) and skips the
  // back.
  const takeDocument = async (tag) => {
    await screen("document-front");
    await page.waitForSelector("#take:not([disabled])");
    if (cfg.languages && tag === "") {
      await switchTo("de");
      await page.waitForSelector("#take:not([disabled])");
    }
    await shot(`${tag}document`);
    await shutter();
    await useFront(`${tag}document-review`);
  };
  // autoDocument waits for the guidance to advise about the glare of
  // documents[0], then shows documents[1] and waits for the page to take
  // the front by itself; it skips the back.
  const autoDocument = async () => {
    await screen("document-front");
    await page.waitForSelector('body[data-advice="glare"]');
    await shot("guidance-glare");
    report.guidance = await page.textContent("#advice");
    showFile(documents[1]);
    await useFront("auto-review");
  };
  // takeSelfie performs the challenge of attempt round (0, 1, …), the
  // camera showing each step's frame of that attempt. With face_guide the
  // page takes frame 0 itself once the face is right (at attempt 1, after
  // face_guide's advice); otherwise the person presses Start, the checks'
  // module being held.
  const takeSelfie = async (tag, round = 0) => {
    const frames = selfies[Math.min(round, selfies.length - 1)];
    const [first, ...rest] = cfg.steps;
    const guide = !holdFace && round === 0;
    const colours = (await next(["light-warning", "selfie"])) === "light-warning" && (await lightWarning(tag));
    if (guide) showFile(cfg.face_guide.file); // before the page's first face check
    await screen("selfie");
    if (!holdFace) {
      if (guide) {
        await page.waitForSelector(`body[data-advice="${cfg.face_guide.advice}"]`);
        await shot(`${tag}guidance-face`);
        report.face_guidance = await page.textContent("#advice");
      }
      showFile(frames[first]);
      await page.waitForFunction(() => Number(document.body.dataset.frames) >= 1);
    } else {
      await page.waitForSelector("#start:not([disabled])");
      if (cfg.cues && round === 0) {
        // The person switches the vibration and beep on, by keyboard.
        await tabTo("#cues");
        await page.keyboard.press("Space");
        await page.waitForSelector("#cues:checked");
      }
      await press("#start");
      await page.waitForSelector(`body[data-step="${first}"]`);
      showFile(frames[first]);
      await shot(`${tag}step-${first}`);
    }
    // The burst of a replay's first attempt only: a screenshot holds up
    // the page, whose late frames could miss their colours, which the
    // replay's do anyway.
    if (colours && cfg.shim === "replay" && round === 0) await burstShot(tag);
    for (const step of rest) {
      // The page may end the challenge instead (a session ended meanwhile).
      await page.waitForSelector(`body[data-step="${step}"], ${final}`);
      if ((await page.evaluate(() => document.body.dataset.step)) !== step) return;
      showFile(frames[step]);
      if (cfg.languages && tag === "" && step === rest[0]) {
        await switchTo("de");
        await switchTo("en");
      }
      await shot(`${tag}step-${step}`);
    }
  };
  // burstShot screenshots the light burst once it shows a colour (the
  // viewport only, in light_shots; none when it ended first). It is not
  // audited: axe-core would hold up the page's timers during the burst,
  // and the burst adds only the tint, aria-hidden and without text, to
  // the selfie screen audited before and after it.
  const burstShot = async (tag) => {
    const shown = await page.waitForFunction(() => {
      const el = document.getElementById("light");
      if (el && el.style.backgroundColor && el.style.backgroundColor !== "rgb(255, 255, 255)") return "colour";
      const over = document.body.dataset.screen !== "selfie" || (document.body.dataset.step !== "light" && Number(document.body.dataset.frames) > 1);
      return over ? "over" : false;
    });
    if ((await shown.jsonValue()) !== "colour") return;
    const path = join(cfg.shots, `${cfg.name || cfg.mode}-${tag}light-burst.png`);
    await page.screenshot({ path });
    (report.light_shots ||= []).push(path);
  };
  // lightWarning answers the light challenge's warning (shot, its text
  // reported in light_warning): the colours, or with light
  // "alternative" the alternative.
  const lightWarning = async (tag) => {
    await screen("light-warning");
    await shot(`${tag}light-warning`);
    report.light_warning = await page.textContent("main");
    await press(cfg.light === "alternative" ? "#light-alternative" : "#light-go");
    return cfg.light !== "alternative";
  };
  // retake follows the retake screen of round (1, 2, …): the camera shows
  // that round's document, and the page's capture steps are answered
  // until it sends.
  const retake = async (round) => {
    const tag = `retake${round}-`;
    await shot(`retake${round}`);
    report.retakes.push(await page.textContent("main"));
    showFile(documents[Math.min(round, documents.length - 1)]);
    await press("#retake-start");
    let now = await next(["document-front", "light-warning", "selfie"]);
    if (now === "document-front") {
      await takeDocument(tag);
      now = await next(["mrz", "light-warning", "selfie", "upload", "checking-photos"]);
    }
    if (now === "mrz") {
      await tabTo("#mrz");
      if (cfg.mrz) await page.keyboard.type(cfg.mrz);
      await shot(`${tag}mrz`);
      await press(cfg.mrz ? "#mrz-continue" : "#mrz-skip");
      now = await next(["light-warning", "selfie", "upload", "checking-photos"]);
    }
    if (now === "selfie" || now === "light-warning") await takeSelfie(tag, round);
  };
  // The challenge's screens are checked as each step shows (shot).
  if (cfg.mode === "load") {
    await page.waitForSelector(`${final}, body[data-screen="consent"]`);
    report.url_after_load = page.url();
    await shot("loaded");
    report.result_text = await page.textContent("main");
  } else {
    await screen("consent");
    report.url_after_load = page.url();
    report.heading = await page.textContent("h1");
    await shot("consent");
    report.consent = await consentOf(page);
    if (cfg.rights) await sendRequest(cfg.rights, "consent");

    if (cfg.mode === "resume") {
      await press("#agree");
      await screen("document-front");
      await page.goBack();
      await screen("consent");
      await press("#agree");
      await screen("document-front");
      await page.waitForSelector("#take:not([disabled])");
      await shutter();
      await screen("review-front");
      report.screens_before = await page.evaluate(() => window.__screens);
      holding = hold;
      await page.reload();
      await page.waitForSelector('body[data-screen]:not([data-screen="loading"])');
      report.url_after_reload = page.url();
      await shot("after-reload");
      report.result_text = await page.textContent("main");
    } else if (cfg.mode === "camera-denied") {
      await press("#agree");
      await screen("camera-help");
      await shot("camera-help-document");
      await press("#camera-retry"); // asks again, and is refused again
      await page.waitForFunction(() => window.__screens.filter((s) => s === "camera-help").length === 2);
      await page.setInputFiles("#file", cfg.document_file);
      await useFront("document-file-review");
      await page.waitForFunction(() => window.__screens.filter((s) => s === "camera-help").length === 3);
      await shot("camera-help-selfie");
      report.result_text = await page.textContent("main");
    } else if (cfg.mode === "handoff") {
      const desktop = page;
      await press("#agree");
      await screen("camera-help");
      await shot("desktop-camera-help");
      await press("#handoff");
      await screen("handoff");
      // A new code retires the first (opened below, on the third device).
      report.retired_link = await page.textContent("#handoff-link");
      await press("#handoff-new");
      // The new code's screen, not the loading screen between the two
      // (which has no link, and no Go back either).
      await page.waitForFunction((l) => {
        const link = document.querySelector("#handoff-link");
        return link && link.textContent !== l;
      }, report.retired_link);
      // Back to the camera help, and on to the phone from there again.
      await press("#handoff-back");
      await page.waitForFunction(() => window.__screens.filter((s) => s === "camera-help").length === 2);
      await press("#handoff");
      await screen("handoff");
      await shot("desktop-handoff");
      report.handoff_text = await page.textContent("main");
      report.link = await page.textContent("#handoff-link");
      report.qr_label = await page.getAttribute("svg.qr", "aria-label");
      report.qr_shot = join(cfg.shots, `${cfg.name || cfg.mode}-qr.png`);
      await page.locator("svg.qr").screenshot({ path: report.qr_shot });
      // While held, the computer's session polls wait at the route; the
      // phone's submit lets the one waiting (or, if none is yet, the next)
      // through once IDV has it.
      let held = false;
      let pass = 0;
      const waiting = [];
      const release = () => {
        if (!waiting.length) pass++;
        waiting.splice(0).forEach((go) => go());
      };
      await desktop.route(
        (u) => u.pathname === "/v1/app/session",
        async (route) => {
          if (held && route.request().method() === "GET") {
            if (pass) pass--;
            else await new Promise((go) => waiting.push(go));
          }
          await route.fallback();
        },
      );

      const phone = (page = await launch(false));
      await inject(phone, cfg.phone_faults);
      await phone.route(
        (u) => u.pathname === "/v1/app/session/submit",
        async (route) => {
          const answer = await route.fetch();
          release();
          await route.fulfill({ response: answer });
        },
      );
      await phone.goto(report.link);
      await screen("consent");
      report.phone = { url_after_load: phone.url() };
      await shot("phone-consent");
      page = desktop;
      await screen("handed-off");
      await shot("desktop-handed-off");
      held = true;

      page = phone;
      await press("#agree");
      await takeDocument("phone-");
      if (cfg.frames.straight) await takeSelfie("phone-");
      await screen("checking-photos");
      await shot("phone-checking-photos");
      page = desktop;
      await screen("handoff-checking");
      await shot("desktop-handoff-checking");
      held = false;
      release();
      await page.waitForSelector('body[data-screen="done"]', { timeout: 240000 });
      await shot("desktop-done");
      report.result_text = await page.textContent("main");

      page = phone;
      await page.waitForSelector('body[data-screen="done"]', { timeout: 240000 });
      await shot("phone-done");
      report.phone.screens = await page.evaluate(() => window.__screens);
      report.phone.result_text = await page.textContent("main");
      report.phone.final_url = page.url();

      // The same link on a third device: the code was spent; and the
      // first code, retired.
      page = await launch(false);
      await page.goto(report.retired_link);
      await screen("handoff-invalid");
      await page.goto(report.link);
      await screen("handoff-invalid");
      await shot("reused");
      report.reused = { text: await page.textContent("main"), screens: await page.evaluate(() => window.__screens) };
      page = desktop;
    } else if (cfg.mode === "decline") {
      // The language toggle, by keyboard, there and back.
      await press("#lang button");
      await page.waitForFunction((h) => document.querySelector("h1").textContent !== h, report.heading);
      report.heading_toggled = await page.textContent("h1");
      await press("#lang button");
      await page.waitForFunction((h) => document.querySelector("h1").textContent === h, report.heading);
      await press("#decline");
      await screen("decline");
      await shot("decline-confirm");
      await press("#decline-yes");
      await screen("declined");
      await shot("declined");
    } else {
      await press("#agree");
      await screen("document-front");
      if (cfg.erase) {
        const r = await fetch(cfg.erase.url, { method: "DELETE", headers: { Authorization: `Bearer ${cfg.erase.key}` } });
        if (r.status !== 202) throw new Error(`erase: HTTP ${r.status}`);
      }
      if (cfg.auto) await autoDocument();
      else await takeDocument("");
      // A document-only session has no selfie screen: the page sends.
      if (["selfie", "light-warning"].includes(await next(["light-warning", "selfie", "upload", "checking-photos"]))) await takeSelfie("", 0);
      // The check: the page polls while it runs, and says what to take
      // again when a check asks for a retake.
      report.retakes = [];
      let checking = 0;
      for (;;) {
        const now = await next(["checking-photos", "retake"], 240000);
        if (now === "checking-photos") {
          if (checking++ === 0) await shot("checking-photos");
          if (cfg.reload_checking && !report.screens_before) {
            report.screens_before = await page.evaluate(() => window.__screens);
            await page.reload();
            await page.waitForSelector('body[data-screen]:not([data-screen="loading"])');
            report.url_after_reload = page.url();
          }
          await next(["retake"], 240000);
          continue;
        }
        if (now !== "retake") break;
        await retake(report.retakes.length + 1);
      }
      await shot("result");
      report.result_text = await page.textContent("main");
    }
  }
  report.screen = await page.evaluate(() => document.body.dataset.screen);
  report.screens = await page.evaluate(() => window.__screens);
  report.advice = await page.evaluate(() => window.__advice);
  report.cameras = await page.evaluate(() => window.__cameras);
  report.camera_labels = await page.evaluate(() => window.__labels);
  report.focus_lost = await page.evaluate(() => window.__focusLost);
  report.return_href = await page.evaluate(() => (document.getElementById("return") || { getAttribute: () => "" }).getAttribute("href") || "");
  report.vibrations = await page.evaluate(() => window.__vibrations);
  report.tints = await page.evaluate(() => window.__tints);
  report.light_transitions = await page.evaluate(() => window.__transitions);
  report.final_url = page.url();
  if (report.screen === "done") report.timing = timing(await page.evaluate(() => window.__times));
} catch (e) {
  if (e !== null) await failed(e, page);
} finally {
  for (const b of browsers) {
    await b.context.close();
    rmSync(b.profile, { recursive: true, force: true });
  }
}
process.stdout.write(JSON.stringify(report));

// embed has each of cfg.embed's customer pages ({origin, name}; served
// here, by a route) frame cfg.url with the camera allowed, and reports in
// embedded, for each, whether the page showed its consent screen inside
// the frame (screen: body[data-screen], "" when the frame was refused)
// and its heading; the first is audited by axe-core in its frame.
async function embed(p) {
  report.embedded = [];
  for (const parent of cfg.embed) {
    const url = parent.origin + "/" + parent.name;
    await p.route(url, (r) =>
      r.fulfill({
        contentType: "text/html",
        body: `<!doctype html><html lang="en"><title>Shop</title><main><h1>Shop</h1><iframe title="Identity check" src="${cfg.url}" allow="camera" width="360" height="640"></iframe></main>`,
      }),
    );
    await p.goto(url);
    const el = await p.waitForSelector("iframe");
    const frame = await el.contentFrame();
    // Refused, the frame holds Chromium's error page: no screen ever.
    const screen = await frame
      .waitForSelector('body[data-screen="consent"]', { timeout: 10000 })
      .then(() => frame.evaluate(() => document.body.dataset.screen))
      .catch(() => "");
    const heading = screen ? await frame.textContent("h1") : "";
    if (screen && report.embedded.length === 0) {
      await frame.evaluate(axeSource);
      const found = await frame.evaluate(async () => (await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] })).violations.map((v) => v.id));
      report.audited.push(`embedded consent: ${found.length} violations`);
      for (const v of found) report.a11y.push(`embedded consent: ${v}`);
    }
    report.embedded.push({ origin: parent.origin, screen, heading, url: frame.url() });
  }
}

// consentOf is what the consent screen says: what is collected (its
// list's items), the purpose, the contact's and the privacy notice's
// links, and its whole text.
async function consentOf(p) {
  return p.evaluate(() => ({
    collect: [...document.querySelectorAll("#collect li")].map((li) => li.textContent),
    purpose: (document.getElementById("purpose") || {}).textContent || "",
    contact: (document.getElementById("contact") || { getAttribute: () => "" }).getAttribute("href") || "",
    notice: (document.getElementById("notice") || { getAttribute: () => "" }).getAttribute("href") || "",
    text: document.querySelector("main").textContent,
    // The customer's branding as shown: the header's name and logo (and
    // whether it loaded), and the colour of the primary button.
    brand: document.querySelector(".brand").textContent,
    logo: (document.querySelector(".brand img") || { getAttribute: () => "" }).getAttribute("src") || "",
    logo_loaded: !!(document.querySelector(".brand img") || {}).naturalWidth,
    primary: getComputedStyle(document.getElementById("agree")).backgroundColor,
  }));
}

async function failed(e, page) {
  report.error = String(e);
  if (page) {
    const path = join(cfg.shots, `${cfg.name || cfg.mode}-failure.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => {});
    report.shots.push(path);
    report.screen = await page.evaluate(() => document.body.dataset.screen).catch(() => "");
    report.result_text = await page.textContent("main").catch(() => "");
  }
}

// timing is how long the run took from opening the link (the page's
// goto) to the done screen and to the first checking screen (the photos
// sent; the done screen, when the page shows none), in ms, and what of it
// was the page's fixed countdowns (each selfie step's, from its data-step
// to its frame's encoding) and this script's own screenshots and audits,
// which a person does not take: done_ms and sent_ms are the two spans
// without the countdowns; done_person_ms and sent_person_ms without
// either (their union: a screenshot taken during a countdown is not
// counted twice); screens are the screens shown, each with when it
// began. times: the page's (window.__times).
function timing(times) {
  const at = (name) => (times.screens.find(([s]) => s === name) || [])[1];
  const done = at("done");
  const sent = at("checking-photos") || done;
  const countdowns = times.steps.map(([, from]) => [from, times.frames.find((f) => f >= from) || from]);
  // clip is intervals within [opened, end], sorted.
  const clip = (end, intervals) =>
    intervals
      .map(([a, b]) => [Math.max(a, opened), Math.min(b, end)])
      .filter(([a, b]) => a < b)
      .sort((x, y) => x[0] - y[0]);
  // without is the span from opened to end, less the union of intervals.
  const without = (end, intervals) => {
    let covered = 0;
    let reach = opened;
    for (const [from, to] of clip(end, intervals)) {
      if (to <= reach) continue;
      covered += to - Math.max(from, reach);
      reach = to;
    }
    return end - opened - covered;
  };
  const sum = (end, intervals) => clip(end, intervals).reduce((n, [a, b]) => n + b - a, 0);
  return {
    link_to_done_ms: done - opened,
    link_to_sent_ms: sent - opened,
    countdowns: countdowns.length,
    countdowns_ms: sum(done, countdowns),
    shots_ms: sum(done, shooting),
    done_ms: without(done, countdowns),
    sent_ms: without(sent, countdowns),
    done_person_ms: without(done, [...countdowns, ...shooting]),
    sent_person_ms: without(sent, [...countdowns, ...shooting]),
    screens: times.screens.map(([name, at]) => [name, at - opened]),
  };
}
