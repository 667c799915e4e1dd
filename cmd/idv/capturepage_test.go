package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	qr "github.com/piglig/go-qr"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/producers/capturepage"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// browser is what the capture page's browser test needs: Debian's chromium
// and the npm packages scripts/browser.sh installs into web/node_modules.
type browser struct{ chromium, web string }

// browserTools finds chromium, node and web/node_modules, or skips (fails
// with IDV_REQUIRE_BROWSER=1).
func browserTools(t *testing.T) browser {
	t.Helper()
	b := browser{chromium: os.Getenv("IDV_CHROMIUM"), web: filepath.Join("..", "..", "web")}
	if b.chromium == "" {
		b.chromium = "/usr/bin/chromium"
	}
	var missing []string
	if _, err := os.Stat(b.chromium); err != nil {
		missing = append(missing, b.chromium)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(b.web, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "web/node_modules/playwright-core")
	}
	if len(missing) > 0 {
		msg := "browser test needs " + strings.Join(missing, ", ") + `: eval "$(scripts/browser.sh)"`
		if os.Getenv("IDV_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return b
}

// artefacts is where the browser test leaves its screenshots:
// $IDV_ARTIFACTS or cmd/idv/testdata/artifacts (ignored by git), one
// directory per run.
func artefacts(t *testing.T) string {
	t.Helper()
	root := os.Getenv("IDV_ARTIFACTS")
	if root == "" {
		root = filepath.Join("testdata", "artifacts")
	}
	dir := filepath.Join(root, t.Name()+"-"+time.Now().UTC().Format("20060102T150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// Camera frames: what Chromium's fake camera plays, one Y4M file per
// moment of the flow, all the same size so one can be copied over another
// in place while the camera reads it.
const camW, camH = 1280, 720

// A phone's portrait 9:16 stream (1080p), as the small-phone run plays it.
const portraitW, portraitH = 1080, 1920

// y4m encodes img centred on a black camW×camH frame, as studio-range
// BT.601 4:2:0, which is how Chromium reads Y4M.
func y4m(img image.Image) []byte {
	return y4mSized(img, camW, camH)
}

// y4mSized is y4m on a black camW×camH frame: 720×1280 is a phone's
// portrait 9:16 stream.
func y4mSized(img image.Image, camW, camH int) []byte {
	b := img.Bounds()
	ox, oy := (camW-b.Dx())/2, (camH-b.Dy())/2
	rgb := func(x, y int) (uint8, uint8, uint8) {
		sx, sy := x-ox+b.Min.X, y-oy+b.Min.Y
		if !(image.Point{sx, sy}.In(b)) {
			return 0, 0, 0
		}
		r, g, bl, _ := img.At(sx, sy).RGBA()
		return uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)
	}
	studio := func(v uint8, luma bool) byte {
		if luma {
			return byte(16 + int(v)*219/255)
		}
		return byte(128 + (int(v)-128)*224/255)
	}
	frame := make([]byte, camW*camH*3/2)
	ys, cbs, crs := frame[:camW*camH], frame[camW*camH:camW*camH*5/4], frame[camW*camH*5/4:]
	for y := 0; y < camH; y++ {
		for x := 0; x < camW; x++ {
			r, g, bl := rgb(x, y)
			yy, cb, cr := color.RGBToYCbCr(r, g, bl)
			ys[y*camW+x] = studio(yy, true)
			if x%2 == 0 && y%2 == 0 {
				cbs[(y/2)*(camW/2)+x/2] = studio(cb, false)
				crs[(y/2)*(camW/2)+x/2] = studio(cr, false)
			}
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "YUV4MPEG2 W%d H%d F15:1 Ip A1:1 C420jpeg\nFRAME\n", camW, camH)
	out.Write(frame)
	return out.Bytes()
}

// captureScene is what the camera shows: the document, then the person
// straight and performing each step of the session's challenge.
type captureScene struct {
	checks   []string
	document image.Image
	// person is the person straight, then performing each step; frames of
	// another seed are other pictures (their sensor noise).
	person func(steps []string, seed uint64) []image.Image
}

// scene uses Grace Hopper's portrait and synthetic frames of her
// performing the challenge: the runs take the person through the selfie
// and the challenge, which a document-only session no longer has (issue
// 21 point 1), so they need the face engine and photos installed (go tool
// task test installs them; without them the test is skipped).
func scene(t *testing.T) captureScene {
	if os.Getenv("IDV_FACE_DIR") == "" || os.Getenv("IDV_TEST_IMAGES") == "" {
		if os.Getenv("IDV_REQUIRE_FACE") != "" {
			t.Fatal("IDV_FACE_DIR and IDV_TEST_IMAGES must be set (go tool task test sets them)")
		}
		t.Skip("the capture page's runs need the face engine and photos: IDV_FACE_DIR (scripts/face-models.sh) and IDV_TEST_IMAGES (scripts/test-images.sh)")
	}
	e := facetest.Engine(t)
	holder := facetest.Photo(t, "grace_hopper.jpg")
	f := facetest.Locate(t, e, holder)
	return captureScene{checks: []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness}, document: cameraCard(t, holder),
		person: func(steps []string, seed uint64) []image.Image {
			return asImages(synth.Sequence(holder, f, steps, seed))
		}}
}

// cameraCard is the specimen card with portrait (nil: a drawn head) as
// the fake camera shows it: 9 pixels per mm, so the card and some table
// fill most of the 1280 × 720 frame.
func cameraCard(t *testing.T, portrait image.Image) image.Image {
	t.Helper()
	img, err := cardimage.SpecimenCard(mrz.SpecimenTD1(time.Now()), portrait, 0, 9)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pageReport is what web/e2e/capture.mjs reports.
type pageReport struct {
	Status       int       `json:"status"`
	CSP          string    `json:"csp"`
	Screen       string    `json:"screen"`
	Heading      string    `json:"heading"`
	Toggled      string    `json:"heading_toggled"` // after switching language
	URLAfterLoad string    `json:"url_after_load"`
	FinalURL     string    `json:"final_url"`
	ResultText   string    `json:"result_text"`
	Requests     []request `json:"requests"`
	Screens      []string  `json:"screens"` // every screen shown, in order
	// ScreensBefore and URLAfterReload are those of the run that reloads.
	ScreensBefore  []string `json:"screens_before"`
	URLAfterReload string   `json:"url_after_reload"`
	Shots          []string `json:"shots"`
	Overflow       []string `json:"overflow"`
	Console        []string `json:"console"`
	A11y           []string `json:"a11y"`    // axe-core's WCAG 2.1 AA violations per screen
	Audited        []string `json:"audited"` // the screens axe-core checked
	Error          string   `json:"error"`
	// Retakes are the texts of the retake screens, in order.
	Retakes []string `json:"retakes"`
	// Advice is every advice the guidance lines of the document and
	// selfie screens gave (body[data-advice]), in order; Guidance the
	// document line's text when it advised about glare (the auto run),
	// FaceGuidance the selfie line's when it gave the advice the run
	// waited for (face_guide); Reviews what the check of each document
	// photo under review found (#photo-check: its data-result, checking,
	// ok, issue or none, and its text).
	Advice       []string `json:"advice"`
	Guidance     string   `json:"guidance"`
	FaceGuidance string   `json:"face_guidance"`
	Reviews      []struct {
		Result string `json:"result"`
		Text   string `json:"text"`
	} `json:"reviews"`
	// Switched are the language switches of the run with languages, in
	// order: the screen, the language, the heading after it and, during
	// the challenge, the step's line; ReviewAfterSwitch is the review's
	// check (#photo-check's data-result) after its switch.
	Switched []struct {
		Screen  string `json:"screen"`
		Lang    string `json:"lang"`
		Heading string `json:"heading"`
		Step    string `json:"step"`
	} `json:"switched"`
	ReviewAfterSwitch string `json:"review_after_switch"`
	// Timing is the run's, when it ended on the done screen.
	Timing *captureTiming `json:"timing"`
	// Of the "handoff" run: the computer's hand-off screen (its text, the
	// link under the QR code, the QR code's accessible name and a
	// screenshot of it, the link of the code it replaced), the phone's
	// run, and the link opened again on a third device.
	HandoffText string `json:"handoff_text"`
	Link        string `json:"link"`
	RetiredLink string `json:"retired_link"`
	QRLabel     string `json:"qr_label"`
	QRShot      string `json:"qr_shot"`
	Phone       struct {
		URLAfterLoad string   `json:"url_after_load"`
		FinalURL     string   `json:"final_url"`
		ResultText   string   `json:"result_text"`
		Screens      []string `json:"screens"`
	} `json:"phone"`
	Reused struct {
		Text    string   `json:"text"`
		Screens []string `json:"screens"`
	} `json:"reused"`
	// Consent is what the consent screen said; RequestSent the text once
	// the person's request was sent (rights); Cameras the facingMode of
	// each camera the page opened.
	Consent struct {
		Collect []string `json:"collect"`
		Purpose string   `json:"purpose"`
		Contact string   `json:"contact"`
		Notice  string   `json:"notice"`
		Text    string   `json:"text"`
		// The branding shown: the header's name and logo, whether the
		// logo loaded, the primary button's colour.
		Brand      string `json:"brand"`
		Logo       string `json:"logo"`
		LogoLoaded bool   `json:"logo_loaded"`
		Primary    string `json:"primary"`
	} `json:"consent"`
	// ReturnHref is the final screen's link back to the customer.
	ReturnHref string `json:"return_href"`
	// Embedded says, per customer page framing the link (mode embed),
	// whether the consent screen showed inside the frame.
	Embedded []struct {
		Origin  string `json:"origin"`
		Screen  string `json:"screen"`
		Heading string `json:"heading"`
		URL     string `json:"url"`
	} `json:"embedded"`
	RequestSent string   `json:"request_sent"`
	Cameras     []string `json:"cameras"`
	// CameraLabels are the labels of the tracks the cameras gave.
	CameraLabels []string `json:"camera_labels"`
	// BelowFold lists the primary buttons (and the challenge's
	// instruction) found outside the viewport scrolled to the top, on the
	// screens Folded; FocusLost each time the page dropped the focus to
	// the body; Vibrations the vibrations the page asked for.
	BelowFold  []string `json:"below_fold"`
	Folded     []string `json:"folded"`
	FocusLost  []string `json:"focus_lost"`
	Vibrations int      `json:"vibrations"`
	// Of the light challenge: the challenges IDV handed out, as the page
	// received them; the submit bodies the page sent; the light warning's
	// text; the colours the page tinted the screen with, one list per
	// burst (as rgb()), and the tint's CSS transition as computed.
	Challenges       []pageChallenge  `json:"challenges"`
	Submits          []pageSubmission `json:"submits"`
	LightWarning     string           `json:"light_warning"`
	Tints            [][]string       `json:"tints"`
	LightTransitions []string         `json:"light_transitions"`
	LightShots       []string         `json:"light_shots"` // screenshots of the bursts (not audited)
}

// pageChallenge is an answer of POST /v1/app/session/challenge.
type pageChallenge struct {
	Attempt int                    `json:"attempt"`
	Steps   []string               `json:"steps"`
	Light   *schemas.LightSequence `json:"light"`
}

// pageSubmission is a submit body the page sent.
type pageSubmission struct {
	Timing        map[string][]int `json:"timing"`
	LightDeclined bool             `json:"light_declined"`
	Signals       map[string]bool  `json:"signals"`
}

// request is one request the page made.
type request struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// pathOf is the path of a request's URL.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// firstScreen is what the page loaded from IDV before its first API call
// (index.html and the files it loads), by path, in order; their size
// gzipped at the best compression, as fetched again from api; and the
// index of that first API call in r.Requests.
func firstScreen(t *testing.T, api string, r pageReport) (files []string, gzipped, asked int) {
	t.Helper()
	asked = slices.IndexFunc(r.Requests, func(q request) bool { return strings.HasPrefix(pathOf(q.URL), "/v1/") })
	if asked < 0 {
		t.Fatal("the page made no API call")
	}
	for _, q := range r.Requests[:asked] {
		p := pathOf(q.URL)
		if !strings.HasPrefix(q.URL, api) || slices.Contains(files, p) {
			continue
		}
		files = append(files, p)
		resp, err := http.Get(api + p)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d, %v", p, resp.StatusCode, err)
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		w.Write(body)
		w.Close()
		gzipped += z.Len()
	}
	return files, gzipped, asked
}

// hashedFile is a path of the capture page's under its content-hashed
// name: /capture/name.<12 hex digits>.ext.
var hashedFile = regexp.MustCompile(`^(/capture/[A-Za-z0-9_-]+)\.[0-9a-f]{12}(\.[a-z]+)$`)

// unhashedPath is p without the hash in its name (/capture/app.js for
// /capture/app.<hash>.js), or p.
func unhashedPath(p string) string {
	return hashedFile.ReplaceAllString(p, "$1$2")
}

// unhashedPaths is unhashedPath of each of ps.
func unhashedPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = unhashedPath(p)
	}
	return out
}

// checkWasm is the path the checks' module is served under by api, found
// as the page finds it: index.html names app.js, which names the worker,
// which names the module.
func checkWasm(t *testing.T, api string) string {
	t.Helper()
	p := "/capture/"
	for _, next := range []*regexp.Regexp{
		regexp.MustCompile(`src="(app\.[0-9a-f]{12}\.js)"`),
		regexp.MustCompile(`(check-worker\.[0-9a-f]{12}\.js)`),
		regexp.MustCompile(`(check\.[0-9a-f]{12}\.wasm)`),
	} {
		resp, err := http.Get(api + p)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := next.FindSubmatch(body)
		if err != nil || m == nil {
			t.Fatalf("GET %s: %d, %v; names no %s", p, resp.StatusCode, err, next)
		}
		p = "/capture/" + string(m[1])
	}
	return p
}

// drive runs the page for one session in headless Chromium.
func (b browser) drive(t *testing.T, in map[string]any) pageReport {
	t.Helper()
	req, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "capture.mjs"))
	cmd.Dir = b.web
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node e2e/capture.mjs: %v\n%s", err, stderr.String())
	}
	var r pageReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("capture.mjs report: %v\n%s", err, out)
	}
	for _, s := range append(r.Shots, r.LightShots...) {
		t.Logf("screenshot %s", s)
	}
	if len(r.Advice) > 0 || len(r.Reviews) > 0 {
		t.Logf("the checks advised %v; reviews %+v", r.Advice, r.Reviews)
	}
	if r.Error != "" {
		t.Fatalf("driving the page failed on screen %q: %s\npage text: %s", r.Screen, r.Error, r.ResultText)
	}
	return r
}

// TestCapturePage drives the hosted capture page in headless Chromium with
// a fake camera, as a person on a 360 px phone using only the keyboard:
// consent → document (nothing typed: IDV reads the MRZ from the photo) →
// the selfie frames of the drawn challenge → sealed upload → checking →
// result, ending in a signed webhook with the decision; then a second
// person declines on the consent screen (in Dutch), ending in a signed
// session.deleted webhook with reason declined_by_user; then the error
// screens, and the retakes, each ending approved at attempt 2 after only
// what the retake screen named was taken again: a document photo with
// glare, a blurred one (a session with the document check only), selfie
// frames whose face is too small for the face match, and selfie frames
// that do not show the challenge's steps; and a document whose MRZ does
// not read, twice, with a reload while it is checked, then typed at
// attempt 3; and a computer without a camera handing the session to a
// phone, which goes through while the computer follows; and, with the
// light challenge on, a person who goes through it (approved), one who
// chooses the alternative (review) and a camera replaying another
// sequence's light (a retake, then approved). Every run checks
// the page's CSP header, that the token left the address bar, that every
// request went to IDV or the store's upload origin, that nothing
// overflows 360 px, and axe-core's WCAG findings on every screen shot.
// The page checks camera frames with the server's checks (check.wasm): a
// run whose camera shows a card with glare, then a good one, has the
// document screen's guidance name the glare and the page take the photo
// by itself, then the selfie screen's guidance ask a person too far away
// to come closer and the page take the first selfie frame by itself once
// they are close enough; elsewhere the module is held until the shutter is
// pressed (and on the selfie screen until the end), and each review says
// what the check of the photo taken found (nothing when the module is
// unavailable). The happy path logs the first screen's size as loaded and
// the scripted person's time (captureTiming).
//
// IDV_CAPTURE_ONLY, a comma-separated list of the runs' names (happy,
// small, embed, decline, load, recover, expired, camera-denied, handoff, resume, retake,
// auto, mrz-fallback, blurry, face-small, step-missing, light,
// light-declined, light-replay), makes only those;
// IDV_CAPTURE_RUNS=N makes the happy path N times and logs each run's
// time and their median:
//
//	IDV_CAPTURE_ONLY=happy IDV_CAPTURE_RUNS=5 go test -run 'TestCapturePage$' -v ./cmd/idv
func TestCapturePage(t *testing.T) {
	b := browserTools(t)
	sc := scene(t)
	s := startSystemWith(t, systemOptions{checks: sc.checks})
	shots := artefacts(t)
	dir := t.TempDir()
	ctx := t.Context()

	probe, err := s.st.objects.PresignPost(ctx, "probe", 1, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	storage, err := capturepage.OriginOf(probe.URL)
	if err != nil {
		t.Fatal(err)
	}
	api, _ := capturepage.OriginOf(s.apiURL)
	// The tenant tells the person why, how to reach it and where its
	// privacy notice is (its policy), which the consent screen shows.
	if err := loadgen.Call(ctx, http.DefaultClient, http.MethodPatch, s.apiURL+"/v1/policy", s.tenant.APIKey,
		map[string]any{"purpose": pagePurpose, "controller_contact": pageContact, "privacy_notice_url": pageNotice,
			"return_urls": []string{pageReturn, pageReturn + "?declined=1"}, "embed_origins": []string{shopOrigin}}, nil); err != nil {
		t.Fatal(err)
	}
	checkPage := func(name string, r pageReport, screen string) {
		t.Helper()
		if r.Status != 200 || r.CSP != capturepage.CSP(storage) {
			t.Errorf("%s: page answered %d with CSP %q, want %q", name, r.Status, r.CSP, capturepage.CSP(storage))
		}
		if strings.Contains(r.URLAfterLoad, "token") || strings.Contains(r.FinalURL, "#") {
			t.Errorf("%s: the token stayed in the address bar: %s", name, r.URLAfterLoad)
		}
		for _, q := range r.Requests {
			u, err := url.Parse(q.URL)
			if err != nil || (u.Scheme != "blob" && u.Scheme != "data" && u.Scheme+"://"+u.Host != api && u.Scheme+"://"+u.Host != storage) {
				t.Errorf("%s: the page requested %s %s, outside IDV (%s) and storage (%s)", name, q.Method, q.URL, api, storage)
			}
		}
		// The error answers the page handles by design show in the
		// console as failed loads; nothing else may.
		console := slices.DeleteFunc(slices.Clone(r.Console), func(m string) bool {
			return handledStatus.MatchString(m)
		})
		if len(r.Overflow) > 0 || len(console) > 0 {
			t.Errorf("%s: wider than 360 px: %v; console errors: %v", name, r.Overflow, console)
		}
		// Every primary button within reach without scrolling, the focus
		// never dropped to the body.
		if len(r.BelowFold) > 0 || len(r.Folded) == 0 || len(r.FocusLost) > 0 {
			t.Errorf("%s: below the fold: %v (of %d screens checked); focus lost to the body: %v", name, r.BelowFold, len(r.Folded), r.FocusLost)
		}
		if len(r.Audited) != len(r.Shots) || len(r.Audited) == 0 {
			t.Errorf("%s: axe-core audited %v, want every screen shot", name, r.Audited)
		}
		t.Logf("%s: axe-core %s", name, strings.Join(r.Audited, "; "))
		if len(r.A11y) > 0 {
			t.Errorf("%s: WCAG 2.1 AA violations (axe-core):\n%s", name, strings.Join(r.A11y, "\n"))
		}
		if r.Screen != screen {
			t.Fatalf("%s: ended on screen %q, want %q (%s)", name, r.Screen, screen, r.ResultText)
		}
	}

	runs := captureRuns(t)
	frames := map[string]string{"document": filepath.Join(dir, "document.y4m")}
	write := func(path string, img image.Image) {
		if err := os.WriteFile(path, y4m(img), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(frames["document"], sc.document)
	mrzText := mrz.SpecimenTD1(time.Now())
	// personFrames writes the camera files of v's selfie steps, named
	// name-step, from imgs (straight, then one per step): {step: file}.
	personFrames := func(name string, v *verification, imgs []image.Image) map[string]string {
		files := map[string]string{}
		for i, step := range stepsOf(v) {
			files[step] = filepath.Join(dir, name+"-"+step+".y4m")
			write(files[step], imgs[i])
		}
		return files
	}
	// flowOf runs the page through v's session, with the frames of its own
	// challenge and what extra (may be nil) adds for it; decided brings the
	// session's decision webhook. flow is flowOf a new session with the
	// tenant's checks.
	flowOf := func(name string, v *verification, extra func(v *verification) map[string]any) (decided <-chan schemas.WebhookPayload, r pageReport) {
		t.Helper()
		decided = s.rcv.Await(v.id, schemas.WebhookSessionDecided)
		files := personFrames(name, v, sc.person(stepsOf(v)[1:], 42))
		files["document"] = frames["document"]
		in := map[string]any{"chromium": b.chromium, "url": s.apiURL + "/capture/#token=" + url.QueryEscape(v.token),
			"camera": filepath.Join(dir, "camera.y4m"), "frames": files, "steps": stepsOf(v),
			"mode": "submit", "name": name, "locale": "en-GB", "shots": shots}
		if extra != nil {
			maps.Copy(in, extra(v))
		}
		return decided, b.drive(t, in)
	}
	// sessionWith creates a session with the checks named rather than the
	// tenant's, as a customer may (POST /v1/sessions {"checks": …}), and
	// reads it as the app.
	sessionWith := func(checks []string) *verification {
		t.Helper()
		var created struct {
			ID       string `json:"id"`
			AppToken string `json:"app_token"`
		}
		if err := loadgen.Call(ctx, http.DefaultClient, http.MethodPost, s.apiURL+"/v1/sessions", s.tenant.APIKey,
			map[string]any{"checks": checks}, &created); err != nil {
			t.Fatal(err)
		}
		v := &verification{id: created.ID, token: created.AppToken, app: appclient.New(s.apiURL, created.AppToken, nil)}
		var err error
		if v.session, err = v.app.Session(ctx); err != nil {
			t.Fatal(err)
		}
		return v
	}
	flow := func(name string, extra func(v *verification) map[string]any) (v *verification, decided <-chan schemas.WebhookPayload, r pageReport) {
		t.Helper()
		v = s.newVerification()
		decided, r = flowOf(name, v, extra)
		return v, decided, r
	}
	approved := func(name string, res sessionResult) {
		t.Helper()
		if res.Decision != schemas.DecisionApproved || len(res.Results) != 3 {
			t.Fatalf("%s: the holder performing the challenge through the page: %+v", name, res)
		}
	}

	// A person goes through.
	var v *verification // opened again below (load)
	if runs.has("happy") {
		var hook <-chan schemas.WebhookPayload
		var r pageReport
		start := time.Now()
		v, hook, r = flow("submit", func(v *verification) map[string]any {
			return map[string]any{"languages": true, "rights": "access",
				"url": s.apiURL + "/capture/#token=" + url.QueryEscape(v.token) + "&return=" + url.QueryEscape(pageReturn)}
		})
		t.Logf("capture page: consent to result in %s", time.Since(start).Round(100*time.Millisecond))
		// The person switched language on a document step, its review and
		// during the challenge (there the step line's first word changes
		// too): each screen was drawn again in that language from what
		// they had done (the photo and its check kept, the challenge's
		// camera and countdown going on to the approval checked below).
		type switched struct{ screen, lang, heading, step string }
		var got []switched
		for _, s := range r.Switched {
			got = append(got, switched{s.Screen, s.Lang, s.Heading, s.Step})
		}
		if want := []switched{
			{"document-front", "de", "Foto Ihres Dokuments", ""},
			{"review-front", "fr", "Photo de votre document", ""},
			{"selfie", "de", "Fotos Ihres Gesichts", "Schritt"},
			{"selfie", "en", "Photos of your face", "Step"},
		}; !slices.Equal(got, want) {
			t.Errorf("language switches %+v, want %+v", got, want)
		}
		if r.ReviewAfterSwitch != "ok" {
			t.Errorf("review's check after switching to French: %q, want ok (kept)", r.ReviewAfterSwitch)
		}
		steps := stepsOf(v)[1:]
		checkPage("submit", r, "done")
		if !strings.Contains(r.Heading, "E2E") || !strings.Contains(r.ResultText, "Thank you") {
			t.Errorf("consent heading %q or result %q does not name the tenant / thank the person", r.Heading, r.ResultText)
		}
		checkResultText(t, "submit", r.ResultText)
		checkConsent(t, "submit", r, true)
		checkSignalsDeclared(t, "submit", r)
		// With the submit, each selfie frame's time after the challenge
		// arrived and the injection signals, yes/no only: headless Chromium
		// driven by Playwright says it is automated; the fake camera's
		// track, labelled with its file's path, is no known virtual camera,
		// but on this touch phone it does not say it faces the user. (The
		// frame rate's signal depends on the machine's load: logged.)
		if len(r.Submits) != 1 || len(r.Submits[0].Timing["selfie"]) != len(stepsOf(v)) || r.Submits[0].Timing["light"] != nil ||
			!r.Submits[0].Signals["automation"] || r.Submits[0].Signals["virtual_camera"] || !r.Submits[0].Signals["track_mismatch"] {
			t.Errorf("submit: the page sent %+v, want the selfie frames' times, no light; automation, no virtual camera, a track mismatch (the cameras' labels %q)",
				r.Submits, r.CameraLabels)
		}
		t.Logf("submit: the page sent %+v (the cameras' labels %q)", r.Submits, r.CameraLabels)
		if r.ReturnHref != pageReturn {
			t.Errorf("submit: the done screen links back to %q, want %q (listed, named by the link)", r.ReturnHref, pageReturn)
		}
		if r.Vibrations != 0 {
			t.Errorf("submit: %d vibrations, want none unless the person switches them on", r.Vibrations)
		}
		checkRequest(t, s, v, r, "access")
		// Nothing typed: the page goes from the document to the selfie, and
		// waits on its checking screen for the decision.
		if want := []string{"review-front", "document-back-choice", "selfie", "upload", "checking-photos", "done"}; !containsInOrder(r.Screens, want) ||
			slices.Contains(r.Screens, "mrz") {
			t.Errorf("screens %v, want in order %v and no MRZ typed", r.Screens, want)
		}
		// The shutter took the photo (the checks' module was held until it
		// was pressed), and the review checked it: nothing to fix. On the
		// selfie screen the module stayed held: no advice, Start pressed.
		if len(r.Advice) > 0 || len(r.Reviews) != 1 || r.Reviews[0].Result != "ok" {
			t.Errorf("submit: advice %v and reviews %+v, want none and one finding no problem", r.Advice, r.Reviews)
		}
		// The first screen is index.html and what it loads; the sealing code
		// and the document checks come after it, once the page runs.
		files, size, asked := firstScreen(t, s.apiURL, r)
		t.Logf("first screen: %s, %d bytes gzipped (TestBundleSize allows 32768)", strings.Join(files, ", "), size)
		if want := []string{"/capture/", "/capture/app.css", "/capture/app.js"}; !slices.Equal(unhashedPaths(files), want) || size > 32<<10 {
			t.Errorf("first screen: %v, %d bytes gzipped; want %v (content-hashed) within 32 KiB", files, size, want)
		}
		for _, later := range []string{"/capture/seal.js", "/capture/check-worker.js", "/capture/wasm_exec.js", "/capture/check.wasm"} {
			if i := slices.IndexFunc(r.Requests, func(q request) bool { return unhashedPath(pathOf(q.URL)) == later }); i < asked {
				t.Errorf("%s: request %d, want it after the first screen's (the first API call is request %d)", later, i, asked)
			}
		}
		if got, want := storageUploads(r, storage), 1+1+len(steps); got != want { // front, frames
			t.Errorf("%d uploads to storage, want %d", got, want)
		}

		// What the browser sealed opens in Go, in its slot of attempt 1 only:
		// selfie frames as camera-sized JPEGs; no MRZ was sent.
		open := captureOpener(t, s, v)
		for i := range 1 + len(steps) {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(open(1, schemas.Selfie, i)))
			if err != nil || cfg.Width != camW || cfg.Height != camH {
				t.Errorf("selfie/%d: %+v, %v; want a %d×%d JPEG", i, cfg, err, camW, camH)
			}
		}

		res := s.await(v, hook)
		t.Logf("decision %s: %+v", res.Decision, res.Results)
		approved("submit", res)
		// The MRZ was read from the photo: the document check passed on it.
		if st := customerSession(t, s, v); st.Attempt != 1 || slices.ContainsFunc(st.Captures, func(c capturedState) bool { return c.Kind == schemas.MRZ }) {
			t.Errorf("session after the page: attempt %d, captures %+v; want attempt 1 and no MRZ capture", st.Attempt, st.Captures)
		}

		// The scripted person's time, in this run and in as many more as
		// IDV_CAPTURE_RUNS asks for (each a session of its own, approved).
		timings := []captureTiming{logTiming(t, "submit", r)}
		for i := 2; i <= runs.happy; i++ {
			name := fmt.Sprintf("submit-%d", i)
			vi, decided, ri := flow(name, nil)
			checkPage(name, ri, "done")
			approved(name, s.await(vi, decided))
			timings = append(timings, logTiming(t, name, ri))
		}
		if len(timings) > 1 {
			t.Logf("scripted person, median of %d runs: link to done in %s (countdowns excluded); %s without the test's screenshots and audits; "+
				"to the checking screen %s, %s without them",
				len(timings), seconds(median(timings, func(c captureTiming) int { return c.Done })),
				seconds(median(timings, func(c captureTiming) int { return c.DonePerson })),
				seconds(median(timings, func(c captureTiming) int { return c.Sent })),
				seconds(median(timings, func(c captureTiming) int { return c.SentPerson })))
		}
	}

	if runs.has("small") {
		// A small phone, 360 × 640, whose camera gives a portrait 9:16
		// stream: the shutter, Start and every primary button are in view
		// without scrolling on each screen, the challenge's instruction is
		// over the video (checkPage), each step is said once in the live
		// region, and the vibration the person switched on marks each step.
		portrait := func(name string, img image.Image) string {
			path := filepath.Join(dir, "portrait-"+name+".y4m")
			if err := os.WriteFile(path, y4mSized(img, portraitW, portraitH), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
		vs, decidedSmall, small := flow("small", func(v *verification) map[string]any {
			// The card as a person holds it before a portrait camera: the
			// whole of it across the frame's width.
			card := sc.document
			if w := card.Bounds().Dx(); w > portraitW-40 {
				card = cardimage.Scale(card, float64(portraitW-40)/float64(w))
			}
			files := map[string]string{"document": portrait("document", card)}
			// The face as a phone held upright at arm's length shows it:
			// across most of the frame's width.
			for i, img := range sc.person(stepsOf(v)[1:], 42) {
				if w := img.Bounds().Dx(); w < portraitW*9/10 {
					img = synth.Scale(img, float64(portraitW*9/10)/float64(w))
				}
				files[stepsOf(v)[i]] = portrait(stepsOf(v)[i], img)
			}
			return map[string]any{"small": true, "cues": true, "camera": filepath.Join(dir, "camera-portrait.y4m"), "frames": files,
				"documents": []string{files["document"]}}
		})
		checkPage("small", small, "done")
		checkResultText(t, "small", small.ResultText)
		for _, want := range []string{"consent", "document-front", "review-front", "document-back-choice", "selfie", "checking-photos"} {
			if !slices.Contains(small.Folded, want) {
				t.Errorf("small: screens checked for the fold %v, want %s among them", small.Folded, want)
			}
		}
		if want := len(stepsOf(vs)); small.Vibrations != want {
			t.Errorf("small: %d vibrations with the cues switched on, want one per step (%d)", small.Vibrations, want)
		}
		if !slices.Contains(small.Screens, "selfie") || slices.Contains(small.Screens, "retake") {
			t.Errorf("small: screens %v, want the selfie and no retake", small.Screens)
		}
		approved("small", s.await(vs, decidedSmall))
	}

	if runs.has("embed") {
		// The tenant's shop frames the page from its listed origin, through
		// the tenant's path: the consent shows inside the frame (audited);
		// another origin, and the plain /capture/ path, are refused.
		ve := s.newVerification()
		framed := s.apiURL + "/capture/t/" + s.tenant.TenantID.String() + "/#token=" + url.QueryEscape(ve.token)
		r := b.drive(t, map[string]any{"chromium": b.chromium, "url": framed, "mode": "embed", "locale": "en-GB", "shots": shots,
			"camera": filepath.Join(dir, "camera.y4m"), "frames": frames,
			"embed": []map[string]string{{"origin": shopOrigin, "name": "a"}, {"origin": "https://other.e2e.example", "name": "b"}}})
		ru := b.drive(t, map[string]any{"chromium": b.chromium, "url": s.apiURL + "/capture/#token=" + url.QueryEscape(ve.token), "mode": "embed",
			"locale": "en-GB", "shots": shots, "camera": filepath.Join(dir, "camera.y4m"), "frames": frames,
			"embed": []map[string]string{{"origin": shopOrigin, "name": "c"}}})
		t.Logf("embed: %+v; unframed path: %+v; axe-core %v; console %v", r.Embedded, ru.Embedded, r.Audited, r.Console)
		if len(r.Embedded) != 2 || r.Embedded[0].Screen != "consent" || !strings.Contains(r.Embedded[0].Heading, "E2E") ||
			r.Embedded[1].Screen != "" || len(ru.Embedded) != 1 || ru.Embedded[0].Screen != "" {
			t.Errorf("embed: %+v, then under /capture/ %+v; want the consent framed by %s only, through the tenant's path", r.Embedded, ru.Embedded, shopOrigin)
		}
		if len(r.A11y) > 0 || len(r.Audited) != 1 {
			t.Errorf("embed: axe-core %v: %v", r.Audited, r.A11y)
		}
	}

	// From here on the tenant's page is branded: its display name, its
	// logo and its colour (a dark green that keeps AA contrast; a yellow
	// that would not is refused), so that every later run's screens are
	// audited in the branded variant.
	logo := brandTenant(t, s)

	if runs.has("decline") {
		// Another person declines, in Dutch, from the link the customer got
		// with the new session.
		var created struct {
			ID         string `json:"id"`
			CaptureURL string `json:"capture_url"`
		}
		if err := customerCall(ctx, "POST", s.apiURL+"/v1/sessions", s.tenant.APIKey, &created); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(created.CaptureURL, s.apiURL+"/capture/#token=") {
			t.Fatalf("capture_url %q", created.CaptureURL)
		}
		d := &verification{id: created.ID}
		gone := s.rcv.Await(d.id, schemas.WebhookSessionDeleted)
		r := b.drive(t, map[string]any{"chromium": b.chromium, "url": created.CaptureURL + "&return=" + url.QueryEscape("https://evil.example/done"),
			"camera": filepath.Join(dir, "camera.y4m"), "frames": frames, "mode": "decline", "locale": "nl-NL", "shots": shots})
		checkPage("decline", r, "declined")
		if c := r.Consent; c.Brand != brandName || c.Logo != logo || !c.LogoLoaded || c.Primary != "rgb(10, 107, 45)" {
			t.Errorf("decline: branding shown %+v, want %q, logo %s loaded, primary rgb(10, 107, 45)", c, brandName, logo)
		}
		// A return URL the tenant does not list is never offered.
		if r.ReturnHref != "" {
			t.Errorf("decline: the declined screen links to %q, which the tenant does not list", r.ReturnHref)
		}
		if !strings.Contains(r.Heading, "Bevestig uw identiteit voor E2E") || !strings.Contains(r.Toggled, "Verify your identity for E2E") {
			t.Errorf("Dutch consent heading %q, after switching to English %q", r.Heading, r.Toggled)
		}
		s.checkWiped(d, s.awaitType(d, gone), schemas.WipeDeclinedByUser)
	}

	if runs.has("load") {
		// Every error the page can meet has its own screen and way forward.
		// The link of a session already sent (the happy path's), opened again:
		// done, nothing asked again.
		if v != nil {
			r := b.drive(t, map[string]any{"chromium": b.chromium, "url": s.apiURL + "/capture/#token=" + url.QueryEscape(v.token),
				"camera": filepath.Join(dir, "camera.y4m"), "frames": frames, "mode": "load", "name": "sent-again", "locale": "en-GB", "shots": shots})
			checkPage("sent again", r, "done")
			if !strings.Contains(r.ResultText, "already arrived") {
				t.Errorf("link opened again after sending: %q", r.ResultText)
			}
		}
		// A link whose token IDV does not know (expired, revoked, mistyped).
		r := b.drive(t, map[string]any{"chromium": b.chromium, "url": s.apiURL + "/capture/#token=idv_app_unknown",
			"camera": filepath.Join(dir, "camera.y4m"), "frames": frames, "mode": "load", "name": "unknown-token", "locale": "en-GB", "shots": shots})
		checkPage("unknown token", r, "expired")
		// A token in the query string is not taken — it has reached the
		// server's logs on the way: the page takes it out of the address bar
		// and asks for the link.
		token := "idv_app_unknown"
		if v != nil {
			token = v.token
		}
		r = b.drive(t, map[string]any{"chromium": b.chromium, "url": s.apiURL + "/capture/?token=" + url.QueryEscape(token),
			"camera": filepath.Join(dir, "camera.y4m"), "frames": frames, "mode": "load", "name": "query-token", "locale": "en-GB", "shots": shots})
		checkPage("query token", r, "error")
		if !strings.Contains(r.ResultText, "needs the link") {
			t.Errorf("a token in the query: %q, want the page to ask for the link", r.ResultText)
		}
	}

	// Storage briefly unavailable, the server busy, or a call refused, as
	// faults put in place of the page's API calls (capture.mjs).
	fault := func(path string, status int, code string) map[string]any {
		return map[string]any{"path": path, "method": "POST", "status": status, "code": code, "retry_after": 1}
	}
	faults := func(f ...map[string]any) func(*verification) map[string]any {
		return func(*verification) map[string]any { return map[string]any{"faults": f} }
	}
	// What the camera shows besides the card and the person: the card with
	// glare (away from the portrait, so that the face match still passes),
	// cut through its MRZ, or blurred; and the person too far away (a
	// quarter of the size: the face about 48 pixels wide, under the face
	// match's 60; the page's face check finds it and says it is too small).
	glare := filepath.Join(dir, "document-glare.y4m")
	write(glare, cardimage.Glare(sc.document, 0.7, 0.35, 0.08))
	cut := filepath.Join(dir, "document-cut.y4m")
	write(cut, cardimage.Crop(sc.document, 0, 0, 0.8, 1))
	blurred := filepath.Join(dir, "document-blurred.y4m")
	write(blurred, cardimage.Blur(sc.document, 3))
	far := func(imgs []image.Image) []image.Image {
		out := make([]image.Image, len(imgs))
		for i, img := range imgs {
			out[i] = synth.Scale(img, 0.25)
		}
		return out
	}
	farAway := filepath.Join(dir, "far-away.y4m")
	write(farAway, far(sc.person(nil, 42))[0])
	// retaken checks a run that ended approved after one retake: its one
	// retake screen names what (heading) and why (reason), attempt 2 of 3,
	// and nothing else to take again; only that was taken again (screens,
	// uploads), the rest of attempt 2 is attempt 1's bytes sealed anew;
	// one session.decided webhook; approved at attempt 2 as the customer
	// sees it.
	retaken := func(name string, v *verification, checks []string, decided <-chan schemas.WebhookPayload, r pageReport, capture, reason string) {
		t.Helper()
		checkPage(name, r, "done")
		checkResultText(t, name, r.ResultText)
		// What the retake names, and what it leaves out, by heading and
		// by screen.
		document := capture == "Photo of your document"
		other, selfies, documents := "Photo of your document", 2, 1
		want := []string{"document-front", "selfie", "upload", "checking-photos", "retake", "selfie", "upload", "checking-photos", "done"}
		if document {
			other, selfies, documents = "Photos of your face", 1, 2
			want = []string{"selfie", "upload", "checking-photos", "retake", "document-front", "review-front", "upload", "checking-photos", "done"}
		}
		// A document-only session takes no photo of the face at all.
		frames := len(stepsOf(v))
		if !schemas.NeedsSelfie(checks) {
			selfies, frames = 0, 0
			want = []string{"document-front", "upload", "checking-photos", "retake", "document-front", "review-front", "upload", "checking-photos", "done"}
		}
		if len(r.Retakes) != 1 || !strings.Contains(r.Retakes[0], capture) || strings.Contains(r.Retakes[0], other) ||
			!strings.Contains(r.Retakes[0], reason) || !strings.Contains(r.Retakes[0], "Attempt 2 of 3") ||
			strings.Contains(r.Retakes[0], "all of them again") {
			t.Errorf("%s: retake screens %q, want one naming %q only, %q, and attempt 2 of 3", name, r.Retakes, capture, reason)
		}
		if !containsInOrder(r.Screens, want) || count(r.Screens, "selfie") != selfies || count(r.Screens, "document-front") != documents {
			t.Errorf("%s: screens %v, want in order %v and only the %s taken again", name, r.Screens, want, strings.ToLower(capture))
		}
		if got, want := storageUploads(r, storage), 2*(1+frames); got != want { // front and frames, twice
			t.Errorf("%s: %d uploads, want %d", name, got, want)
		}
		res := s.await(v, decided)
		passed := res.Decision == schemas.DecisionApproved && len(res.Results) == len(checks)
		for _, c := range res.Results {
			passed = passed && c.Outcome == schemas.OutcomePassed
		}
		if !passed {
			t.Errorf("%s: decided %s with %+v, want approved, each of %v passed", name, res.Decision, res.Results, checks)
		}
		if n := s.rcv.Received(v.id, schemas.WebhookSessionDecided); n != 1 {
			t.Errorf("%s: %d session.decided webhooks, want 1", name, n)
		}
		st := customerSession(t, s, v)
		if st.Attempt != 2 || st.Status != "decided" {
			t.Errorf("%s: the customer sees attempt %d, status %s; want attempt 2, decided", name, st.Attempt, st.Status)
		}
		for _, attempt := range []int{1, 2} {
			if got := st.capturesOf(attempt); got != 1+frames {
				t.Errorf("%s: attempt %d holds %d captures (%+v), want %d", name, attempt, got, st.Captures, 1+frames)
			}
		}
		open := captureOpener(t, s, v)
		if same := bytes.Equal(open(1, schemas.DocumentFront, 0), open(2, schemas.DocumentFront, 0)); same == document {
			t.Errorf("%s: attempt 2's document photo is attempt 1's: %v, want %v", name, same, !document)
		}
		for i := range frames {
			if same := bytes.Equal(open(1, schemas.Selfie, i), open(2, schemas.Selfie, i)); same != document {
				t.Errorf("%s: attempt 2's selfie/%d is attempt 1's: %v, want %v", name, i, same, document)
			}
		}
	}

	if runs.has("recover") {
		// Storage briefly unavailable at the declaration, the server busy at
		// the submit, then the submit's answer lost: the page waits and tries
		// again by itself, then asks IDV whether the submit arrived before
		// sending anything again — and nothing is uploaded twice; it arrived,
		// so the page follows its check to the end.
		// The checks' module is unavailable too, for the document and for
		// the selfie: the page carries on without advice, and its review
		// says nothing of the photo.
		v2, decided, r := flow("recover", faults(fault("/v1/app/session/uploads", 503, "unavailable"),
			fault("/v1/app/session/submit", 429, "rate_limited"), map[string]any{"path": "/v1/app/session/submit", "method": "POST", "lost": true},
			map[string]any{"path": checkWasm(t, s.apiURL), "method": "GET", "status": 503, "code": "unavailable", "times": 2}))
		checkPage("recover", r, "done")
		wasm := 0
		for _, q := range r.Requests {
			if unhashedPath(pathOf(q.URL)) == "/capture/check.wasm" {
				wasm++
			}
		}
		if len(r.Advice) > 0 || len(r.Reviews) != 1 || r.Reviews[0].Result != "none" || r.Reviews[0].Text != "" || wasm != 2 {
			t.Errorf("recover, without the checks: advice %v, reviews %+v, the module asked for %d times; "+
				"want neither advice nor a finding, the module asked for by the document and by the selfie screen", r.Advice, r.Reviews, wasm)
		}
		if want := []string{"upload", "retry-wait", "upload", "retry-wait", "upload", "checking", "done"}; !containsInOrder(r.Screens, want) {
			t.Errorf("screens %v, want in order %v", r.Screens, want)
		}
		checkResultText(t, "recover", r.ResultText)
		uploads, submits := 0, 0
		for _, q := range r.Requests {
			switch {
			case q.Method == "POST" && strings.HasPrefix(q.URL, storage):
				uploads++
			case q.Method == "POST" && strings.HasSuffix(q.URL, "/v1/app/session/submit"):
				submits++
			}
		}
		frames2 := 1
		if v2.session.Challenge != nil {
			frames2 += len(v2.session.Challenge.Steps)
		}
		if want := 1 + frames2; uploads != want || submits != 2 { // front, frames
			t.Errorf("%d uploads and %d submits, want %d and 2 (the busy one, the lost one)", uploads, submits, want)
		}
		if res := s.await(v2, decided); res.Status != "decided" {
			t.Errorf("the session whose submit answer was lost: %+v", res)
		}
	}

	if runs.has("expired") {
		// The token expires while the person takes the photos, or the
		// customer erases the session meanwhile (IDV answers 410): each says
		// so, and offers no retry that cannot succeed.
		_, _, expired := flow("expired", faults(fault("/v1/app/session/uploads", 401, "unauthorized")))
		checkPage("expired", expired, "expired")
		_, _, ended := flow("ended", func(v *verification) map[string]any {
			return map[string]any{"erase": map[string]any{"url": s.apiURL + "/v1/sessions/" + v.id, "key": s.tenant.APIKey}}
		})
		checkPage("ended", ended, "ended")
		for name, r := range map[string]pageReport{"expired": expired, "ended": ended} {
			if strings.Contains(r.ResultText, "Try") || !strings.Contains(r.ResultText, "new link") {
				t.Errorf("%s: %q, want a way forward (a new link) and no retry", name, r.ResultText)
			}
		}
	}

	if runs.has("camera-denied") {
		// The camera refused: the page says how to allow it in this browser
		// and asks again on request; the document goes in as a file, and the
		// selfie, which must be live, says it needs the camera.
		var docJPEG bytes.Buffer
		if err := jpeg.Encode(&docJPEG, sc.document, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		docFile := filepath.Join(dir, "document.jpg")
		if err := os.WriteFile(docFile, docJPEG.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, denied := flow("camera-denied", func(*verification) map[string]any {
			return map[string]any{"mode": "camera-denied", "document_file": docFile}
		})
		checkPage("camera denied", denied, "camera-help")
		// The file's pixels were checked too, as decoded in the browser.
		if len(denied.Reviews) != 1 || (denied.Reviews[0].Result != "ok" && denied.Reviews[0].Result != "issue") {
			t.Errorf("camera denied: reviews %+v, want the file checked", denied.Reviews)
		}
		want := []string{"document-front", "camera-help", "document-front", "camera-help", "review-front", "selfie", "camera-help"}
		if !containsInOrder(denied.Screens, want) {
			t.Errorf("camera denied: screens %v, want in order %v", denied.Screens, want)
		}
		if !strings.Contains(denied.ResultText, "camera icon in the address bar") || !strings.Contains(denied.ResultText, "taken live") {
			t.Errorf("camera denied, selfie: %q, want Chrome's instructions and why a file will not do", denied.ResultText)
		}
	}

	if runs.has("handoff") {
		// A computer whose camera is refused continues on a phone: it asks for
		// a hand-off code (IDV briefly unavailable first: the page waits and
		// asks again) and shows the QR code of its short link, the link as
		// text and when it expires; asked, a new code; Back returns to the
		// camera help, which leads to a code again. A phone opens the link
		// (its redeem refused once as too many tries: it waits too), gets its
		// own token, which leaves the address bar with the code, and goes
		// through without typing anything; the computer, polling with its own
		// token, says the phone has it, then that the photos are checked, then
		// done — never the decision. The same link on a third device: the code is spent
		// (and the first code, retired by the new one, works no more).
		v5, decided5, handed := flow("handoff", func(*verification) map[string]any {
			return map[string]any{"mode": "handoff",
				"faults":       []map[string]any{fault("/v1/app/session/handoff", 503, "unavailable")},
				"phone_faults": []map[string]any{fault("/v1/handoff", 429, "rate_limited")}}
		})
		checkPage("handoff", handed, "done")
		checkResultText(t, "handoff, computer", handed.ResultText)
		if want := []string{"consent", "camera-help", "retry-wait", "handoff", "camera-help", "handoff", "handed-off", "handoff-checking", "done"}; !containsInOrder(handed.Screens, want) ||
			slices.Contains(handed.Screens, "upload") {
			t.Errorf("handoff, computer: screens %v, want in order %v and nothing sent", handed.Screens, want)
		}
		shortLink := regexp.MustCompile(`^` + regexp.QuoteMeta(s.apiURL) + `/h/[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$`)
		if !shortLink.MatchString(handed.Link) || !shortLink.MatchString(handed.RetiredLink) || handed.Link == handed.RetiredLink ||
			!strings.Contains(handed.HandoffText, "until") || handed.QRLabel == "" {
			t.Errorf("hand-off screen: link %q (the first %q), QR code named %q, text %q; want a new short link, the QR code named, when the code expires",
				handed.Link, handed.RetiredLink, handed.QRLabel, handed.HandoffText)
		}
		// The QR code drawn on the computer's screen carries that link.
		if f, err := os.Open(handed.QRShot); err != nil {
			t.Error(err)
		} else {
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if text, err := qr.Decode(img); err != nil || text != handed.Link {
				t.Errorf("the QR code on the hand-off screen reads %q (%v), want %q", text, err, handed.Link)
			}
		}
		phone := handed.Phone
		if strings.Contains(phone.URLAfterLoad, "handoff") || strings.Contains(phone.URLAfterLoad, "#") || strings.Contains(phone.FinalURL, "#") {
			t.Errorf("handoff, phone: the code stayed in the address bar: %s, %s", phone.URLAfterLoad, phone.FinalURL)
		}
		if want := []string{"retry-wait", "consent", "document-front", "review-front", "selfie", "upload", "checking-photos", "done"}; !containsInOrder(phone.Screens, want) ||
			slices.Contains(phone.Screens, "mrz") {
			t.Errorf("handoff, phone: screens %v, want in order %v and nothing typed", phone.Screens, want)
		}
		checkResultText(t, "handoff, phone", phone.ResultText)
		frames5 := 1
		if v5.session.Challenge != nil {
			frames5 += len(v5.session.Challenge.Steps)
		}
		if got, want := storageUploads(handed, storage), 1+frames5; got != want { // the phone's front and frames
			t.Errorf("handoff: %d uploads, want %d", got, want)
		}
		// (The driver opened the retired link first, and waited for the same
		// screen there.)
		if want := []string{"loading", "handoff-invalid"}; !slices.Equal(handed.Reused.Screens, want) ||
			!strings.Contains(handed.Reused.Text, "Ask the other screen for a new one") || strings.Contains(handed.Reused.Text, "Try") {
			t.Errorf("the link opened again: screens %v, %q; want %v, a new code from the other screen and no retry",
				handed.Reused.Screens, handed.Reused.Text, want)
		}
		approved("handoff", s.await(v5, decided5))
		if n := s.rcv.Received(v5.id, schemas.WebhookSessionDecided); n != 1 {
			t.Errorf("handoff: %d session.decided webhooks, want 1", n)
		}
		if st := customerSession(t, s, v5); st.Attempt != 1 || st.Status != "decided" {
			t.Errorf("handoff: the customer sees attempt %d, status %s; want attempt 1, decided", st.Attempt, st.Status)
		}
	}

	if runs.has("resume") {
		// Back steps back inside the page, and a reload resumes after the
		// consent given, with the token from the tab's memory (never the
		// address bar); the photos, which the page does not keep, are taken
		// again.
		_, _, resumed := flow("resume", func(*verification) map[string]any { return map[string]any{"mode": "resume"} })
		checkPage("resume", resumed, "document-front")
		if want := []string{"consent", "document-front", "consent", "document-front", "review-front"}; !containsInOrder(resumed.ScreensBefore, want) {
			t.Errorf("before the reload: screens %v, want in order %v", resumed.ScreensBefore, want)
		}
		if slices.Contains(resumed.Screens, "consent") || strings.Contains(resumed.URLAfterReload, "token") {
			t.Errorf("after the reload: screens %v at %s, want the photos again without the consent or a token in the URL",
				resumed.Screens, resumed.URLAfterReload)
		}
	}

	if runs.has("retake") {
		// A document photo with glare: the document check asks for it
		// again, the page says so and why, the person takes the document
		// again (only the document: the selfie frames are sealed again for
		// attempt 2 from the page's memory), and the session is decided
		// once, at attempt 2.
		v, decided, r := flow("retake", func(*verification) map[string]any {
			return map[string]any{"documents": []string{glare, frames["document"]}}
		})
		retaken("retake", v, sc.checks, decided, r, "Photo of your document", "Light reflected")
		// The review had said so of the first photo, and found nothing to
		// fix in the second.
		if len(r.Reviews) != 2 || r.Reviews[0].Result != "issue" || !strings.Contains(r.Reviews[0].Text, "Light reflected") ||
			r.Reviews[1].Result != "ok" {
			t.Errorf("retake: reviews %+v, want the glare named, then no problem", r.Reviews)
		}
	}

	// The retake reasons a person meets most: each ends approved at
	// attempt 2 after a retake of what it names, and nothing else.
	//
	// A blurred document photo, in a session with the document check only
	// (blurred, the card's portrait would no longer match the selfie: the
	// face match would fail it as low_similarity, which no retake
	// follows).
	if runs.has("blurry") {
		only := []string{schemas.CheckDocument}
		v := sessionWith(only)
		decided, r := flowOf("blurry", v, func(*verification) map[string]any {
			return map[string]any{"documents": []string{blurred, frames["document"]}}
		})
		retaken("blurry", v, only, decided, r, "Photo of your document", "The photo was blurry")
		// Only what the checks need: the consent lists no photo of the
		// face, and the page never opened the front camera.
		checkConsent(t, "blurry", r, false)
		if len(r.Cameras) == 0 || slices.Contains(r.Cameras, "user") {
			t.Errorf("blurry, document only: the page opened the cameras %v, want the back camera only", r.Cameras)
		}
		if len(r.Reviews) != 2 || r.Reviews[0].Result != "issue" || !strings.Contains(r.Reviews[0].Text, "blurry") ||
			r.Reviews[1].Result != "ok" {
			t.Errorf("blurry: reviews %+v, want the blur named, then no problem", r.Reviews)
		}
	}
	// Selfie frames in which the person is too far away: the face match
	// answers low_quality (a face under 60 pixels), the page asks for the
	// photos of the face again, and the person takes them close enough.
	if runs.has("face-small") {
		v := s.newVerification()
		decided, r := flowOf("face-small", v, func(v *verification) map[string]any {
			return map[string]any{"selfies": []map[string]string{
				personFrames("face-small-far", v, far(sc.person(stepsOf(v)[1:], 42))),
				personFrames("face-small", v, sc.person(stepsOf(v)[1:], 42)),
			}}
		})
		retaken("face small", v, sc.checks, decided, r, "Photos of your face", "Your face was too small")
	}
	// Selfie frames that do not show the challenge's steps (the person
	// looks straight at the camera in each, a different frame each time,
	// so no replay): the liveness check answers resubmit for a step
	// missing, the page asks for the photos of the face again, and the
	// person performs the steps.
	if runs.has("step-missing") {
		v := s.newVerification()
		decided, r := flowOf("step-missing", v, func(v *verification) map[string]any {
			return map[string]any{"selfies": []map[string]string{
				personFrames("step-missing-straight", v, sc.person(make([]string, len(stepsOf(v))-1), 7)),
				personFrames("step-missing", v, sc.person(stepsOf(v)[1:], 42)),
			}}
		})
		retaken("step missing", v, sc.checks, decided, r, "Photos of your face", "An instruction could not be seen")
	}

	if runs.has("auto") {
		// The page's own checks, on the camera: the camera shows the card with
		// glare, and the document screen's guidance line says to tilt it away
		// from the light (its screen axe-clean); then it shows the card as it
		// should be, and the page takes the photo by itself once two frames in
		// a row pass the gates with the MRZ trusted and parsed — nobody
		// presses the shutter. The review says the photo has no issue. On the
		// selfie screen the camera shows the person too far away, and the
		// guidance line asks them to come closer (its screen axe-clean); then
		// it shows them as close as the other runs do, and the page takes the
		// first frame by itself once three frames in a row show the face right
		// — nobody presses Start — and goes on with the challenge. The session
		// is approved at attempt 1.
		v6, decided6, auto := flow("auto", func(*verification) map[string]any {
			return map[string]any{"auto": true, "documents": []string{glare, frames["document"]},
				"face_guide": map[string]any{"file": farAway, "advice": "closer"}}
		})
		checkPage("auto", auto, "done")
		checkResultText(t, "auto", auto.ResultText)
		t.Logf("auto: the guidance advised %v; the review said %+v", auto.Advice, auto.Reviews)
		advised := []string{"glare", "hold", "closer", "hold"}
		if !containsInOrder(auto.Advice, advised) || auto.Advice[len(auto.Advice)-1] != "hold" ||
			!strings.Contains(auto.Guidance, "away from the light") || !strings.Contains(auto.FaceGuidance, "Come closer") {
			t.Errorf("auto: the guidance advised %v (%q, then %q), want glare (tilting away from the light), later hold, "+
				"the photo taken after hold; then closer (come closer), later hold, and the first selfie frame taken after hold",
				auto.Advice, auto.Guidance, auto.FaceGuidance)
		}
		if len(auto.Reviews) != 1 || auto.Reviews[0].Result != "ok" || !strings.Contains(auto.Reviews[0].Text, "No problems") {
			t.Errorf("auto: reviews %+v, want one finding no problem", auto.Reviews)
		}
		if want := []string{"document-front", "review-front", "document-back-choice", "upload", "checking-photos", "done"}; !containsInOrder(auto.Screens, want) ||
			slices.Contains(auto.Screens, "retake") {
			t.Errorf("auto: screens %v, want in order %v and no retake", auto.Screens, want)
		}
		approved("auto", s.await(v6, decided6))
		if st := customerSession(t, s, v6); st.Attempt != 1 {
			t.Errorf("auto: attempt %d, want 1", st.Attempt)
		}
	}

	if runs.has("mrz-fallback") {
		// A document whose MRZ does not read (the card cut short through its
		// lines): the page asks for the photo again; a reload while the photos
		// are checked resumes (polling, or the retake screen when the check was
		// quicker), and the page, holding no photos after it, takes everything
		// again. The MRZ fails to read a second time, so at attempt 3 the page
		// offers to type it; typed, it goes as the mrz capture.
		v4, decided4, typed := flow("mrz-fallback", func(*verification) map[string]any {
			return map[string]any{"documents": []string{cut, cut, frames["document"]}, "mrz": mrzText, "reload_checking": true}
		})
		checkPage("mrz fallback", typed, "done")
		checkResultText(t, "mrz fallback", typed.ResultText)
		if len(typed.Retakes) != 2 || !strings.Contains(typed.Retakes[0], "could not be read") || !strings.Contains(typed.Retakes[0], "Attempt 2 of 3") ||
			!strings.Contains(typed.Retakes[0], "all of them again") ||
			!strings.Contains(typed.Retakes[1], "could not be read") || !strings.Contains(typed.Retakes[1], "Attempt 3 of 3") ||
			strings.Contains(typed.Retakes[1], "all of them again") {
			t.Errorf("retake screens %q, want two saying the MRZ could not be read, at attempts 2 (after the reload: everything again) and 3",
				typed.Retakes)
		}
		if len(typed.Reviews) != 3 || !strings.Contains(typed.Reviews[0].Text, "could not be read") ||
			!strings.Contains(typed.Reviews[1].Text, "could not be read") || typed.Reviews[2].Result != "ok" {
			t.Errorf("mrz fallback: reviews %+v, want the lines unreadable twice, then no problem", typed.Reviews)
		}
		if !slices.Contains(typed.ScreensBefore, "checking-photos") || typed.ScreensBefore[len(typed.ScreensBefore)-1] != "checking-photos" {
			t.Errorf("before the reload: screens %v, want it on the checking screen", typed.ScreensBefore)
		}
		// After the reload: everything taken again for attempt 2 (the selfie
		// too), the document only for attempt 3, with the MRZ typed.
		if want := []string{"loading", "retake", "document-front", "selfie", "upload", "checking-photos", "retake", "document-front", "mrz", "upload", "checking-photos", "done"}; !containsInOrder(typed.Screens, want) ||
			count(typed.Screens, "selfie") != 1 || count(typed.Screens, "mrz") != 1 {
			t.Errorf("after the reload: screens %v, want in order %v, one selfie and one MRZ screen", typed.Screens, want)
		}
		t.Logf("mrz fallback: after the reload the page showed %v", typed.Screens[:min(3, len(typed.Screens))])
		approved("mrz fallback", s.await(v4, decided4))
		if st := customerSession(t, s, v4); st.Attempt != 3 {
			t.Errorf("mrz fallback: attempt %d, want 3", st.Attempt)
		}
		if got := string(captureOpener(t, s, v4)(3, schemas.MRZ, 0)); got != mrzText {
			t.Errorf("MRZ typed at attempt 3 opened as %q, want %q", got, mrzText)
		}
	}

	// The light challenge (issue 22), on sessions created while the
	// tenant's policy has it on. Chromium's fake camera cannot see the
	// screen, so these runs have capture.mjs stand a shim in for the front
	// camera (shim), which lights the test's pictures with the colour the
	// page shows (or, replaying, with another's).
	if runs.has("light") {
		// The person is warned, goes on, and the screen shows the drawn
		// colours in order (with reduced motion preferred: the transition
		// stays) while the page takes 8 light frames, then the steps; the
		// session is approved, and the liveness result keeps the browser's
		// signals, yes/no, as advisory values.
		v := lightSession(t, s)
		decided, r := flowOf("light", v, func(*verification) map[string]any {
			return map[string]any{"shim": "reflect", "reduced_motion": true}
		})
		checkPage("light", r, "done")
		checkResultText(t, "light", r.ResultText)
		checkConsent(t, "light", r, true)
		checkSignalsDeclared(t, "light", r)
		checkLightWarning(t, "light", r)
		if want := []string{"light-warning", "selfie", "upload", "checking-photos", "done"}; !containsInOrder(r.Screens, want) || slices.Contains(r.Screens, "retake") {
			t.Errorf("light: screens %v, want in order %v and no retake (retakes %q)", r.Screens, want, r.Retakes)
		}
		open := captureOpener(t, s, v)
		t.Logf("light: the light frames' colour against the baseline's (R, G, B): %s", lightColours(t, open, 1))
		sent := checkLightShown(t, "light", v, r, 1)
		if got, want := storageUploads(r, storage), 1+len(stepsOf(v))+schemas.LightFrames; got != want {
			t.Errorf("light: %d uploads, want %d (front, selfie frames, light frames)", got, want)
		}
		for i := range schemas.LightFrames {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(open(1, schemas.Light, i)))
			if err != nil || cfg.Width > 640 || cfg.Width != camW/2 {
				t.Errorf("light/%d: %+v, %v; want a JPEG downscaled to %d px wide", i, cfg, err, camW/2)
			}
		}
		approved("light", s.await(v, decided))
		checkSignalsKept(t, s, v, sent)
	}

	if runs.has("light-declined") {
		// The person chooses the alternative: no colours, no light frames;
		// the session goes to the customer's review (never approved), with
		// the selfie frames' times and the signals sent all the same. On a
		// small phone (360 × 640): the warning's choices are in view.
		v := lightSession(t, s)
		decided, r := flowOf("light-declined", v, func(*verification) map[string]any {
			return map[string]any{"light": "alternative", "small": true}
		})
		if !slices.Contains(r.Folded, "light-warning") {
			t.Errorf("light declined: screens checked for the fold %v, want the light warning among them", r.Folded)
		}
		checkPage("light declined", r, "done")
		checkResultText(t, "light declined", r.ResultText)
		checkLightWarning(t, "light declined", r)
		if len(r.Tints) != 0 || len(r.Submits) != 1 || !r.Submits[0].LightDeclined || r.Submits[0].Timing["light"] != nil ||
			len(r.Submits[0].Timing["selfie"]) != len(stepsOf(v)) || len(r.Submits[0].Signals) == 0 {
			t.Errorf("light declined: tints %v, submits %+v; want no colours shown, one submit declining the light with the selfie frames' times and signals",
				r.Tints, r.Submits)
		}
		if got, want := storageUploads(r, storage), 1+len(stepsOf(v)); got != want {
			t.Errorf("light declined: %d uploads, want %d (front, selfie frames; no light frames)", got, want)
		}
		res := s.await(v, decided)
		live := slices.IndexFunc(res.Results, func(c struct {
			Check   string   `json:"check"`
			Outcome string   `json:"outcome"`
			Reasons []string `json:"reasons"`
		}) bool {
			return c.Check == schemas.CheckLiveness
		})
		if res.Decision != schemas.DecisionReview || live < 0 || res.Results[live].Outcome != schemas.OutcomeReview ||
			!slices.Contains(res.Results[live].Reasons, "challenge_light_declined") {
			t.Errorf("light declined: decided %s with %+v, want review, the liveness check in review for challenge_light_declined", res.Decision, res.Results)
		}
		checkSignalsKept(t, s, v, r.Submits[0].Signals)
	}

	if runs.has("light-replay") {
		// The shim lights the face as a recording of another session would:
		// at the sequence's times, in colours other than those drawn. The
		// check asks for the photos of the face again (a new attempt, a new
		// sequence), and the person, live this time, is approved.
		v := lightSession(t, s)
		decided, r := flowOf("light-replay", v, func(*verification) map[string]any {
			return map[string]any{"shim": "replay"}
		})
		checkPage("light replay", r, "done")
		if len(r.Retakes) != 1 || !strings.Contains(r.Retakes[0], "Photos of your face") || !strings.Contains(r.Retakes[0], "light could not be seen") ||
			!strings.Contains(r.Retakes[0], "Attempt 2 of 3") {
			t.Errorf("light replay: retake screens %q, want one asking for the photos of the face again, the screen's light not seen", r.Retakes)
		}
		if want := []string{"light-warning", "selfie", "upload", "checking-photos", "retake", "light-warning", "selfie", "upload", "checking-photos", "done"}; !containsInOrder(r.Screens, want) {
			t.Errorf("light replay: screens %v, want in order %v", r.Screens, want)
		}
		checkLightShown(t, "light replay", v, r, 2)
		if len(r.Challenges) != 2 || r.Challenges[0].Attempt != 1 || r.Challenges[1].Attempt != 2 {
			t.Errorf("light replay: challenges %+v, want one for attempt 1 and a new one for attempt 2", r.Challenges)
		}
		if got, want := storageUploads(r, storage), 2*(1+len(stepsOf(v))+schemas.LightFrames); got != want {
			t.Errorf("light replay: %d uploads, want %d (everything, twice)", got, want)
		}
		open := captureOpener(t, s, v)
		t.Logf("light replay: the light frames' colour against the baseline's (R, G, B): attempt 1 %s; attempt 2 %s",
			lightColours(t, open, 1), lightColours(t, open, 2))
		approved("light replay", s.await(v, decided))
		if st := customerSession(t, s, v); st.Attempt != 2 {
			t.Errorf("light replay: attempt %d, want 2", st.Attempt)
		}
	}
}

// lightSession creates a session while the test tenant's policy has the
// light challenge on, then turns it off again (so that the other runs'
// sessions have none), and checks that the app sees the light challenge
// and its slot of 8 light frames.
func lightSession(t *testing.T, s *system) *verification {
	t.Helper()
	light := func(on bool) {
		if err := loadgen.Call(t.Context(), http.DefaultClient, http.MethodPatch, s.apiURL+"/v1/policy", s.tenant.APIKey,
			map[string]any{"light_challenge": on}, nil); err != nil {
			t.Fatalf("PATCH /v1/policy light_challenge %v: %v", on, err)
		}
	}
	light(true)
	v := s.newVerification()
	light(false)
	var app struct {
		Challenge struct {
			Light bool `json:"light"`
		} `json:"challenge"`
		Slots []schemas.Slot `json:"slots"`
	}
	if err := loadgen.Call(t.Context(), http.DefaultClient, http.MethodGet, s.apiURL+"/v1/app/session", v.token, nil, &app); err != nil {
		t.Fatal(err)
	}
	slot := slices.IndexFunc(app.Slots, func(sl schemas.Slot) bool { return sl.Kind == schemas.Light })
	if !app.Challenge.Light || slot < 0 || app.Slots[slot].Min != schemas.LightFrames || app.Slots[slot].Max != schemas.LightFrames {
		t.Fatalf("a session created with the light challenge on: challenge.light %v, slots %+v; want the light slot of %d frames",
			app.Challenge.Light, app.Slots, schemas.LightFrames)
	}
	return v
}

// lightColours describes attempt's light frames as the shim lit them, for
// the log: each frame's mean colour over the middle of the picture (the
// face) against that of the baseline segment's two frames, per channel.
func lightColours(t *testing.T, open func(int, schemas.CaptureKind, int) []byte, attempt int) string {
	t.Helper()
	mean := func(i int) [3]float64 {
		img, err := jpeg.Decode(bytes.NewReader(open(attempt, schemas.Light, i)))
		if err != nil {
			t.Fatalf("light/%d: %v", i, err)
		}
		b := img.Bounds()
		var sum [3]float64
		n := 0.0
		for y := b.Min.Y + b.Dy()/3; y < b.Max.Y-b.Dy()/3; y++ {
			for x := b.Min.X + b.Dx()/3; x < b.Max.X-b.Dx()/3; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				sum[0], sum[1], sum[2], n = sum[0]+float64(r>>8), sum[1]+float64(g>>8), sum[2]+float64(bl>>8), n+1
			}
		}
		return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
	}
	base := [2][3]float64{mean(0), mean(1)}
	var out []string
	for i := range schemas.LightFrames {
		m := mean(i)
		var ratio [3]string
		for c := range 3 {
			ratio[c] = strconv.FormatFloat(m[c]/((base[0][c]+base[1][c])/2), 'f', 2, 64)
		}
		out = append(out, "("+strings.Join(ratio[:], " ")+")")
	}
	return strings.Join(out, " ")
}

// checkLightWarning: the light run's warning screen said the screen will
// change colour, named the alternative for people whom light can harm
// and who reviews instead.
func checkLightWarning(t *testing.T, name string, r pageReport) {
	t.Helper()
	for _, want := range []string{"change colour", "can harm you", "alternative", "reviews your photos"} {
		if !strings.Contains(r.LightWarning, want) {
			t.Errorf("%s: the light warning %q does not say %q", name, r.LightWarning, want)
		}
	}
}

// checkSignalsDeclared: the consent screen says what the injection
// signals check, that only yes/no answers are kept and that they never
// decide alone.
func checkSignalsDeclared(t *testing.T, name string, r pageReport) {
	t.Helper()
	for _, want := range []string{"automated", "frame rate", "only yes/no answers are kept", "never decide alone"} {
		if !strings.Contains(r.Consent.Text, want) {
			t.Errorf("%s: the consent %q does not say %q", name, r.Consent.Text, want)
		}
	}
}

// checkLightShown: in each of the run's bursts (one per attempt) the
// page tinted the screen with exactly the colours of that attempt's
// sequence, in order, changing them by a 250 ms transition; it sent, for
// the attempt, every selfie and light frame's time after the challenge
// arrived (the first selfie frame's before it, the light frames' in
// order within the sequence, the steps' after them) and yes/no signals,
// the last of which it returns.
func checkLightShown(t *testing.T, name string, v *verification, r pageReport, attempts int) map[string]bool {
	t.Helper()
	for i, c := range r.Challenges {
		if c.Light != nil && i < len(r.Submits) {
			t.Logf("%s: attempt %d: sequence %v; the page's times %v", name, c.Attempt, c.Light.Sequence, r.Submits[i].Timing)
		}
	}
	if len(r.Challenges) != attempts || len(r.Tints) != attempts || len(r.Submits) != attempts {
		t.Fatalf("%s: %d challenges, %d bursts, %d submits; want %d of each", name, len(r.Challenges), len(r.Tints), len(r.Submits), attempts)
	}
	for i, c := range r.Challenges {
		if c.Light == nil || c.Light.Validate() != nil {
			t.Fatalf("%s: challenge %d's light %+v", name, i, c.Light)
		}
		var want []string
		for _, seg := range c.Light.Sequence {
			rgb, _ := strconv.ParseUint(seg.Colour[1:], 16, 32)
			want = append(want, fmt.Sprintf("rgb(%d, %d, %d)", rgb>>16, rgb>>8&0xff, rgb&0xff))
		}
		if !slices.Equal(r.Tints[i], want) || !strings.Contains(r.LightTransitions[i], "0.25s") {
			t.Errorf("%s: burst %d showed %v with transition %q, want %v with a 0.25s transition", name, i, r.Tints[i], r.LightTransitions[i], want)
		}
		sub := r.Submits[i]
		selfie, light := sub.Timing["selfie"], sub.Timing["light"]
		if len(selfie) != len(stepsOf(v)) || len(light) != c.Light.Frames || sub.LightDeclined || len(sub.Signals) == 0 {
			t.Fatalf("%s: submit %d: %+v; want %d selfie and %d light times, the light not declined, signals", name, i, sub, len(stepsOf(v)), c.Light.Frames)
		}
		// In order (when each lay in its segment is the liveness check's
		// to judge, on a machine whose load this test does not control).
		if !slices.IsSorted(light) || light[0] <= 0 || selfie[0] > 0 || selfie[1] <= light[len(light)-1] {
			t.Errorf("%s: submit %d's times: selfie %v, light %v; want selfie/0 before the challenge, the light frames after it in order, the steps after them",
				name, i, selfie, light)
		}
	}
	return r.Submits[attempts-1].Signals
}

// checkSignalsKept: v's liveness result holds, as advisory values, each
// signal the page sent (1 yes, 0 no) and no other; the headless browser
// says it is automated.
func checkSignalsKept(t *testing.T, s *system, v *verification, sent map[string]bool) {
	t.Helper()
	var res sessionResultWithScores
	if err := customerCall(t.Context(), http.MethodGet, s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &res); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.Results, func(c checkResult) bool { return c.Check == schemas.CheckLiveness })
	if i < 0 {
		t.Fatalf("no liveness result in %+v", res)
	}
	got := map[string]float64{}
	for k, x := range res.Results[i].Advisory {
		if strings.HasPrefix(k, "signal_") {
			got[k] = x
		}
	}
	want := map[string]float64{}
	for k, yes := range sent {
		want["signal_"+k] = map[bool]float64{true: 1}[yes]
	}
	if !maps.Equal(got, want) || want["signal_automation"] != 1 {
		t.Errorf("liveness advisory signals %v, want %v (as sent), automation 1 in headless Chromium", got, want)
	}
	t.Logf("the page's signals in headless Chromium: %v", sent)
}

// What the test tenant's policy tells the person on the consent screen.
const (
	// pageReturn is on the tenant's return-URL allow-list, with another;
	// shopOrigin may frame the page.
	pageReturn  = "https://e2e.example/done"
	shopOrigin  = "https://shop.e2e.example"
	pagePurpose = "Opening an E2E savings account"
	pageContact = "privacy@e2e.example"
	pageNotice  = "https://e2e.example/privacy"
)

// brandName is the test tenant's display name once branded.
const brandName = "E2E Bank"

// brandTenant gives the test tenant a display name, a colour and a logo
// (a PNG IDV re-encodes), as its backend would, and returns the logo's
// path beside the page; a colour without AA contrast is refused.
func brandTenant(t *testing.T, s *system) string {
	t.Helper()
	ctx := t.Context()
	err := loadgen.Call(ctx, http.DefaultClient, http.MethodPatch, s.apiURL+"/v1/policy", s.tenant.APIKey, map[string]any{"brand_colour": "#ffd700"}, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 422") || !strings.Contains(err.Error(), "brand_colour") {
		t.Errorf("a yellow brand colour: %v, want 422 naming brand_colour", err)
	}
	if err := loadgen.Call(ctx, http.DefaultClient, http.MethodPatch, s.apiURL+"/v1/policy", s.tenant.APIKey,
		map[string]any{"display_name": brandName, "brand_colour": "#0a6b2d"}, nil); err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 96, 48))
	for y := range 48 {
		for x := range 96 {
			img.Set(x, y, color.NRGBA{10, uint8(60 + x), 45, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, s.apiURL+"/v1/branding/logo", &b)
	req.Header.Set("Authorization", "Bearer "+s.tenant.APIKey)
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(l.URL, "/capture/logo/") {
		t.Fatalf("PUT /v1/branding/logo: %d %+v %v", resp.StatusCode, l, err)
	}
	return l.URL
}

// checkConsent: the consent screen of run name named the purpose, the
// controller's contact and privacy notice (as links), the person's
// rights, and exactly what is taken: the document's front and its MRZ,
// and a photo of the face only when selfie.
func checkConsent(t *testing.T, name string, r pageReport, selfie bool) {
	t.Helper()
	c := r.Consent
	if c.Purpose != pagePurpose || c.Contact != "mailto:"+pageContact || c.Notice != pageNotice ||
		!strings.Contains(c.Text, "Your rights") || !strings.Contains(c.Text, "responsible for your data") {
		t.Errorf("%s: consent purpose %q, contact %q, notice %q; text %q", name, c.Purpose, c.Contact, c.Notice, c.Text)
	}
	face := slices.ContainsFunc(c.Collect, func(s string) bool { return strings.Contains(s, "your face") })
	if want := 2 + map[bool]int{true: 1}[selfie]; len(c.Collect) != want || face != selfie {
		t.Errorf("%s: the consent lists %q as collected, want %d items, a photo of the face %v", name, c.Collect, want, selfie)
	}
}

// checkRequest: the person's request of kind, sent from the page, went to
// the controller for v's session only, once, on the audit record.
func checkRequest(t *testing.T, s *system, v *verification, r pageReport, kind string) {
	t.Helper()
	if !strings.Contains(r.RequestSent, "received your request") {
		t.Errorf("request sent: %q", r.RequestSent)
	}
	var kinds []string
	if err := s.owner.Select(&kinds, `SELECT kind FROM data_subject_requests WHERE session_id = $1`, v.id); err != nil {
		t.Fatal(err)
	}
	var audited int
	if err := s.owner.Get(&audited, `SELECT count(*) FROM audit_events WHERE session_id = $1 AND action = 'dsr_received'
		AND detail->>'kind' = $2 AND actor LIKE 'app_token:%'`, v.id, kind); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kinds, []string{kind}) || audited != 1 {
		t.Errorf("the page's request: the session holds requests %v and %d audit entries, want [%s] and 1", kinds, audited, kind)
	}
}

// checkResultText: the result screen thanks the person, says the customer
// gives the outcome, and shows neither the decision nor personal data.
func checkResultText(t *testing.T, name, text string) {
	t.Helper()
	if !strings.Contains(text, "Thank you") || !strings.Contains(text, "will tell you the outcome") {
		t.Errorf("%s: result %q, want thanks and the customer telling the outcome", name, text)
	}
	for _, s := range []string{"approved", "declined", "review", "WILLEKE", "SPECI"} {
		if strings.Contains(text, s) {
			t.Errorf("%s: result screen shows %q: %q", name, s, text)
		}
	}
}

// storageUploads counts the page's uploads to storage.
func storageUploads(r pageReport, storage string) int {
	n := 0
	for _, q := range r.Requests {
		if q.Method == "POST" && strings.HasPrefix(q.URL, storage) {
			n++
		}
	}
	return n
}

// count is how often s occurs in screens.
func count(screens []string, s string) int {
	n := 0
	for _, x := range screens {
		if x == s {
			n++
		}
	}
	return n
}

// capturedState is one capture as the customer API lists it.
type capturedState struct {
	Attempt int                 `json:"attempt"`
	Kind    schemas.CaptureKind `json:"kind"`
	Index   int                 `json:"index"`
}

// customerState is what the customer API shows of a session's attempts.
type customerState struct {
	Status      string          `json:"status"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Captures    []capturedState `json:"captures"`
}

// customerSession reads v as the customer: GET /v1/sessions/{id}.
func customerSession(t *testing.T, s *system, v *verification) customerState {
	t.Helper()
	var st customerState
	if err := customerCall(t.Context(), "GET", s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// capturesOf is how many captures the session holds for attempt.
func (st customerState) capturesOf(attempt int) int {
	n := 0
	for _, c := range st.Captures {
		if c.Attempt == attempt {
			n++
		}
	}
	return n
}

// captureOpener opens what the browser sealed for v, as the checks do:
// each capture in its attempt and slot only (the idv/v2 info), never as
// another attempt's or index's.
func captureOpener(t *testing.T, s *system, v *verification) func(attempt int, kind schemas.CaptureKind, index int) []byte {
	t.Helper()
	key, err := s.st.vault.Unwrap(t.Context(), s.wrappedKey(v.id))
	if err != nil {
		t.Fatal(err)
	}
	return func(attempt int, kind schemas.CaptureKind, index int) []byte {
		t.Helper()
		sealed, err := s.st.objects.Get(t.Context(), schemas.ObjectKey(s.tenant.TenantID.String(), v.id, attempt, kind, index), 16<<20)
		if err != nil {
			t.Fatalf("attempt %d, %s/%d: %v", attempt, kind, index, err)
		}
		plain, err := seal.Open(key, seal.CaptureInfo(v.session.SessionID, attempt, string(kind), index), sealed)
		if err != nil {
			t.Fatalf("attempt %d, %s/%d sealed in the browser does not open in Go: %v", attempt, kind, index, err)
		}
		if _, err := seal.Open(key, seal.CaptureInfo(v.session.SessionID, attempt+1, string(kind), index), sealed); err == nil {
			t.Fatalf("attempt %d, %s/%d opened as attempt %d's", attempt, kind, index, attempt+1)
		}
		if _, err := seal.Open(key, seal.CaptureInfo(v.session.SessionID, attempt, string(kind), index+1), sealed); err == nil {
			t.Fatalf("attempt %d, %s/%d opened as index %d", attempt, kind, index, index+1)
		}
		return plain
	}
}

// handledStatus matches Chromium's console line for an answer the page
// handles with its own screen: an unknown or expired token (401), a
// hand-off code used or expired (404), a session ended (410), busy (429),
// unavailable (503), an answer lost on the way (connection reset).
var handledStatus = regexp.MustCompile(`^Failed to load resource: (the server responded with a status of (401|404|410|429|503) |net::ERR_CONNECTION_RESET$)`)

// containsInOrder reports whether want occurs in got in order, other
// elements in between allowed.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// captureRuns reads which of TestCapturePage's runs to make
// (IDV_CAPTURE_ONLY: their names, comma-separated; all when unset) and how
// many times to make the happy path (IDV_CAPTURE_RUNS, default 1).
func captureRuns(t *testing.T) captureRunSet {
	t.Helper()
	set := captureRunSet{happy: 1}
	if only := os.Getenv("IDV_CAPTURE_ONLY"); only != "" {
		set.only = strings.Split(only, ",")
	}
	if n := os.Getenv("IDV_CAPTURE_RUNS"); n != "" {
		var err error
		if set.happy, err = strconv.Atoi(n); err != nil || set.happy < 1 {
			t.Fatalf("IDV_CAPTURE_RUNS=%q: want a whole number of runs, 1 or more", n)
		}
	}
	return set
}

// captureRunSet is which runs TestCapturePage makes.
type captureRunSet struct {
	only  []string // the runs' names; all when empty
	happy int      // how many times the happy path runs
}

// has reports whether the run called name is made.
func (c captureRunSet) has(name string) bool {
	return len(c.only) == 0 || slices.Contains(c.only, name)
}

// stepsOf is what v's selfie frames show: straight, then the steps of its
// challenge, if any.
func stepsOf(v *verification) []string {
	steps := []string{"straight"}
	if v.session.Challenge != nil {
		steps = append(steps, v.session.Challenge.Steps...)
	}
	return steps
}

// captureTiming is how long a run of the page took, in ms, as capture.mjs
// measures it (its timing function): from opening the link (the browser
// asked for the page) to the done screen (Total, and Done without the
// page's fixed countdowns of the selfie steps, Countdowns of them) and to
// the first checking screen (the photos sent: Sent without the
// countdowns). DonePerson and SentPerson are those also without the
// test's own screenshots and accessibility audits (Shots), which a person
// does not take. Screens are the screens shown, each with when it began
// (ms after the link was opened).
type captureTiming struct {
	Total      int      `json:"link_to_done_ms"`
	ToSent     int      `json:"link_to_sent_ms"`
	Countdowns int      `json:"countdowns_ms"`
	Steps      int      `json:"countdowns"`
	Shots      int      `json:"shots_ms"`
	Done       int      `json:"done_ms"`
	Sent       int      `json:"sent_ms"`
	DonePerson int      `json:"done_person_ms"`
	SentPerson int      `json:"sent_person_ms"`
	Screens    [][2]any `json:"screens"`
}

// logTiming logs the scripted person's time in run name and returns it.
func logTiming(t *testing.T, name string, r pageReport) captureTiming {
	t.Helper()
	if r.Timing == nil {
		t.Fatalf("%s: no timing in the report", name)
	}
	c := *r.Timing
	t.Logf("%s: scripted person: link to done in %s (countdowns excluded); %s without the test's screenshots and audits; "+
		"to the checking screen %s, %s without them (link to done %s in all, %d countdowns %s, screenshots and audits %s)",
		name, seconds(c.Done), seconds(c.DonePerson), seconds(c.Sent), seconds(c.SentPerson),
		seconds(c.Total), c.Steps, seconds(c.Countdowns), seconds(c.Shots))
	var at []string
	for _, s := range c.Screens {
		if ms, ok := s[1].(float64); ok {
			at = append(at, fmt.Sprintf("%v %s", s[0], seconds(int(ms))))
		}
	}
	t.Logf("%s: screens after the link was opened: %s", name, strings.Join(at, ", "))
	return c
}

// median is the median of of over runs (the mean of the middle two of an
// even number).
func median(runs []captureTiming, of func(captureTiming) int) int {
	v := make([]int, len(runs))
	for i, r := range runs {
		v[i] = of(r)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// seconds writes ms as seconds with one decimal.
func seconds(ms int) string {
	return fmt.Sprintf("%.1f s", float64(ms)/1000)
}
