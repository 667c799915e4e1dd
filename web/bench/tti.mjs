// tti.mjs measures the capture page's time to interactive on a throttled
// phone profile (issue 21: 1.6 Mbps down, 750 kbps up, 150 ms round trip,
// the CPU slowed 4×, a 360 px screen), cold (an empty cache) and warm (the
// same browser's cache, a new tab), the median of RUNS runs of each. A
// benchmark, not a test: it prints figures and asserts nothing.
//
// Time to interactive, from the navigation's start: the first screen (the
// consent screen) shows its Agree button enabled, and the main thread is
// idle: the later of the button's time and the end of the last long task
// (over 50 ms, PerformanceObserver "longtask") seen before a quiet 1 s.
//
// It runs `go run ./cmd/idv dev` (from the repository root, in a dev dir
// of its own, on the PostgreSQL of DATABASE_URL, database idv_tti, which
// it creates with psql) and
// opens one new session's capture link per load:
//
//   eval "$(bash scripts/browser.sh)"
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable node web/bench/tti.mjs [RUNS]
//
// or against an IDV already running: IDV_API_URL and IDV_API_KEY.
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] || 5);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const profile = { downKbps: 1600, upKbps: 750, rttMs: 150, cpu: 4 };

// dev starts idv dev and resolves to {api, key} once it runs.
function dev() {
  const db = new URL(process.env.DATABASE_URL || "");
  db.pathname = "/idv_tti";
  // idv dev makes the database's _keys companion, not the database itself.
  const made = spawnSync("psql", [process.env.DATABASE_URL, "-qc", "CREATE DATABASE idv_tti"], { encoding: "utf8" });
  if (made.status !== 0 && !/already exists/.test(made.stderr)) throw new Error(`psql: CREATE DATABASE idv_tti: ${made.stderr || made.error}`);
  const dir = mkdtempSync(join(tmpdir(), "idv-tti-"));
  const proc = spawn("go", ["run", "./cmd/idv", "dev"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: db.toString(), IDV_DEV_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  proc.stderr.on("data", (b) => (err += b));
  const stop = () => {
    try {
      process.kill(-proc.pid, "SIGINT");
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    proc.on("exit", (code) => reject(new Error(`idv dev exited ${code}:\n${out}\n${err.slice(-2000)}`)));
    proc.stdout.on("data", (b) => {
      out += b;
      const key = /export IDV_API_KEY=(\S+)/.exec(out);
      const api = /POST -H "[^"]*" (\S+)\/v1\/sessions/.exec(out);
      if (key && api && out.includes("running; Ctrl-C stops")) resolve({ api: api[1], key: key[1], stop });
    });
  });
}

// link creates a session and returns its capture page link.
async function link({ api, key }) {
  const r = await fetch(api + "/v1/sessions", { method: "POST", headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" }, body: "{}" });
  if (r.status !== 201) throw new Error(`POST /v1/sessions: ${r.status} ${await r.text()}`);
  const s = await r.json();
  return s.capture_url || `${api}/capture/#token=${encodeURIComponent(s.app_token)}`;
}

// load opens url in a new tab of context, throttled, and returns its
// time to interactive and what it fetched from the network.
async function load(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: profile.rttMs,
    downloadThroughput: (profile.downKbps * 1000) / 8,
    uploadThroughput: (profile.upKbps * 1000) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  let bytes = 0;
  let fromCache = 0;
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.fromDiskCache || e.response.fromMemoryCache) fromCache++;
  });
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.startTime + e.duration))).observe({ type: "longtask", buffered: true });
  });
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector("#agree:enabled", { timeout: 60000 });
  const agree = await page.evaluate(() => performance.now());
  // Wait for a quiet second: no long task ending in it.
  for (;;) {
    const quiet = await page.evaluate(
      () =>
        new Promise((r) => {
          const n = window.__long.length;
          setTimeout(() => r(window.__long.length === n), 1000);
        }),
    );
    if (quiet) break;
  }
  const { long, nav } = await page.evaluate(() => ({ long: window.__long, nav: performance.getEntriesByType("navigation")[0].startTime }));
  const tti = Math.max(agree, ...long) - nav;
  await page.close();
  return { tti, bytes, fromCache };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const server = process.env.IDV_API_URL ? { api: process.env.IDV_API_URL, key: process.env.IDV_API_KEY, stop() {} } : await dev();
const cold = [];
const warm = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "idv-tti-chromium-"));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: process.env.IDV_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      chromiumSandbox: false,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      locale: "en-GB",
    });
    try {
      cold.push(await load(context, await link(server)));
      warm.push(await load(context, await link(server)));
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
    console.error(`run ${i + 1}: cold ${(cold[i].tti / 1000).toFixed(2)} s (${cold[i].bytes} B over the network), warm ${(warm[i].tti / 1000).toFixed(2)} s (${warm[i].bytes} B, ${warm[i].fromCache} files from the cache)`);
  }
} finally {
  server.stop();
}
const fmt = (l) => `${(median(l.map((r) => r.tti)) / 1000).toFixed(2)} s (runs ${l.map((r) => (r.tti / 1000).toFixed(2)).join(", ")}; ${median(l.map((r) => r.bytes))} B over the network)`;
console.log(`capture page time to interactive, ${profile.downKbps / 1000} Mbps down, ${profile.upKbps} kbps up, ${profile.rttMs} ms RTT, CPU ${profile.cpu}× slower (${cpus().length} CPUs: ${cpus()[0].model}), median of ${runs}:`);
console.log(`  cold: ${fmt(cold)}`);
console.log(`  warm: ${fmt(warm)}`);
