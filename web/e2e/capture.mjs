// capture.mjs drives the hosted capture page in headless Chromium as a
// person on a 360 px wide phone would, with Chromium's fake camera playing
// a Y4M file. It is run by the Go test TestCapturePage (cmd/idv), which
// builds the frames; this script only drives and reports.
//
// Input (JSON on stdin): {chromium, url, camera, frames: {step: file},
// mrz, mode: "submit"|"decline", locale, shots}. `camera` is the file
// Chromium plays; before each photo the script copies the frame of that
// step over it in place (same size), which the fake camera reads from the
// next frame on — it keeps its file open and loops it. Output (JSON on
// stdout): the final screen, the page's CSP header, the URL after load,
// every request the page made, the screenshots, and layout and WCAG
// findings.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cfg = JSON.parse(Buffer.concat(chunks).toString("utf8"));

function show(step) {
  // In place, never truncated or renamed: the camera holds the file open.
  writeFileSync(cfg.camera, readFileSync(cfg.frames[step]), { flag: "r+" });
}

// axe-core checks each screen against WCAG 2.1 A and AA (contrast, labels,
// names, landmarks). It is evaluated through the DevTools protocol, which
// the page's CSP does not govern; the page itself loads nothing of it.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const profile = mkdtempSync(join(tmpdir(), "idv-chromium-"));
copyFileSync(cfg.frames.document, cfg.camera);
const browser = await chromium.launchPersistentContext(profile, {
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
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${cfg.camera}`,
  ],
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: cfg.locale,
});
const report = { requests: [], shots: [], overflow: [], console: [], a11y: [], audited: [] };
try {
  const page = browser.pages()[0] || (await browser.newPage());
  page.on("request", (r) => report.requests.push({ method: r.method(), url: r.url() }));
  page.on("console", (m) => {
    if (m.type() === "error") report.console.push(m.text());
  });
  page.on("pageerror", (e) => report.console.push(String(e)));
  page.setDefaultTimeout(30000);

  const resp = await page.goto(cfg.url);
  report.status = resp.status();
  report.csp = resp.headers()["content-security-policy"] || "";
  const screen = async (name) => {
    await page.waitForSelector(`body[data-screen="${name}"]`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 360) report.overflow.push(`${name}: ${width}px`);
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
    await audit(name);
    const path = join(cfg.shots, `${cfg.mode}-${String(report.shots.length).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    report.shots.push(path);
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

  await screen("consent");
  report.url_after_load = page.url();
  report.heading = await page.textContent("h1");
  await shot("consent");

  if (cfg.mode === "decline") {
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
    await page.waitForSelector("#take:not([disabled])");
    await shot("document");
    await press("#take");
    await screen("review-front");
    await shot("document-review");
    await press("#use");
    await screen("document-back-choice");
    await press("#skip-back");
    await screen("mrz");
    await tabTo("#mrz");
    await page.keyboard.type(cfg.mrz);
    await shot("mrz");
    await press("#mrz-continue");
    if (cfg.frames.straight) {
      await screen("selfie");
      await page.waitForSelector("#start:not([disabled])");
      await press("#start");
      for (const step of cfg.steps) {
        await page.waitForSelector(`body[data-step="${step}"]`);
        show(step);
        await shot(`step-${step}`);
      }
    }
    await page.waitForSelector('body[data-screen="done"], body[data-screen="upload"] #retry', { timeout: 120000 });
    await shot("result");
    report.result_text = await page.textContent("main");
  }
  report.screen = await page.evaluate(() => document.body.dataset.screen);
  report.final_url = page.url();
} catch (e) {
  report.error = String(e);
  const page = browser.pages()[0];
  if (page) {
    const path = join(cfg.shots, `${cfg.mode}-failure.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => {});
    report.shots.push(path);
    report.screen = await page.evaluate(() => document.body.dataset.screen).catch(() => "");
    report.result_text = await page.textContent("main").catch(() => "");
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report));
