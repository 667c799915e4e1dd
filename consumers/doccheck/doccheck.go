// Package doccheck is the document check stage: on idv.session.submitted it
// opens the session's document captures (front, back, the MRZ text the app
// read) in memory with the session key, checks they are exactly what the app
// sealed and declared, passes the images through a decoding gate that
// refuses decompression bombs before they allocate, parses and validates the
// MRZ against the tenant's rules, puts the images through the quality gates
// (package quality) and compares the MRZ printed on the document (package
// ocrb) with the app's when configured to, or reads the MRZ from them when
// the app sent none — the image checks of package framecheck, which the
// hosted capture page runs too — and records the check's result with its
// idv.check.completed event in one transaction.
//
// When the tenant's policy asks for a redacted copy (Policy.RedactedCopy)
// and the document images passed the image gates, the stage keeps one of
// each side the app photographed (package redact): the portrait, the MRZ's
// personal-number cells and the personal-number zones of the visual
// inspection zone blacked out, watermarked with the purpose, the tenant's
// name and the date, sealed to the session key as capture redacted_copy/0
// (the front) and redacted_copy/1 (the back, when there is one), stored
// under the session's prefix (so the wipe deletes them with the captures)
// and listed among the session's captures.
//
// When the app read the document's chip (capture kind chip) and the operator
// configured trusted CSCAs, the stage also runs passive authentication
// (package chip): the chip's data must be signed under a trusted CSCA and
// its DG1 must equal the MRZ the app read optically. The DG2 portrait is
// decoded as evidence beside the document images.
//
// Nothing decrypted leaves the call in the clear: no plaintext, image or MRZ
// field is logged or put in an event, only reason codes (docs/design.md invariant 1).
// The fields the tenant's policy allows — and only those — are stored with
// the result, sealed to the session key (invariant 4).
package doccheck

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/seal"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/document/redact"
	"github.com/idv-oss/idv/schemas"
)

// Engine names this check's code and version in its results.
const Engine = "idv-doccheck/1 mrz-icao9303"

// Sessions reads a session, its wrapped key and its declared captures.
type Sessions interface {
	Get(ctx context.Context, tenantID, id uuid.UUID) (idv.Session, error)
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error)
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error)
}

// Tenants reads a tenant's policy.
type Tenants interface {
	Get(ctx context.Context, id uuid.UUID) (idv.Tenant, error)
}

// Results finds and stores check results; SaveResult appends the event in
// the same transaction.
type Results interface {
	Exists(ctx context.Context, tenantID, sessionID uuid.UUID, attempt int, check string) (bool, error)
	SaveResult(ctx context.Context, r idv.Result, ev idv.Event) error
}

// Keys unwraps session keys (the vault).
type Keys interface {
	Unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error)
}

// Objects reads sealed captures, never more than maxSize bytes, stores
// the sealed redacted copy, and deletes what it stored under a session
// that ended meanwhile.
type Objects interface {
	Get(ctx context.Context, key string, maxSize int64) ([]byte, error)
	Put(ctx context.Context, key string, body []byte) error
	idv.PrefixDeleter
}

// Deps are the stage's parts.
type Deps struct {
	Sessions Sessions
	Tenants  Tenants
	Results  Results
	Keys     Keys
	Objects  Objects
	// Reads makes the stage's reads of a session one transaction
	// (postgres.Reads); nil: one each.
	Reads idv.Reads
	Now   func() time.Time // time.Now when nil
	Log   *slog.Logger     // discarded when nil
	// CSCAs are the Country Signing CAs chip data must chain to. When nil,
	// chip captures are not verified (and do not count against the
	// document): without trust anchors a chip proves nothing.
	CSCAs *chip.TrustStore
	// Reader reads the MRZ printed in the document images, to compare it
	// with the MRZ text the app sent; nil leaves that comparison out.
	Reader *ocrb.Reader
	// Faces finds the portrait to black out in a redacted copy; nil
	// masks where ICAO 9303 puts it instead (redact.Finder).
	Faces redact.FaceDetector
	// Decodes shares the decoded document images with the process's
	// other stages (capture.Decodes); nil: the stage decodes them itself.
	Decodes *capture.Decodes
}

// Config tunes the stage.
type Config struct {
	// MaxPixels is the largest image, in pixels, the stage decodes;
	// imagegate.DefaultMaxPixels when 0.
	MaxPixels int64
	// MaxImageBytes is the largest sealed document image the stage reads
	// into memory; the document slot's cap when 0 (it is never more).
	MaxImageBytes int64
	// QualityGates runs the image quality gates (package quality) on
	// every decoded document image, before anything reads it; an image
	// that fails one is not read further, and its reasons ask for a new
	// photo. Off by default until every producer of document images (the
	// demo among them) sends photos of documents.
	QualityGates bool
	// Quality holds the gates' thresholds: a zero field takes the
	// documented default (quality.DefaultConfig), a negative one turns its
	// gate off.
	Quality quality.Config
	// ImageMRZ holds the thresholds of the comparison between the MRZ read
	// from the images (Deps.Reader) and the app's MRZ text.
	ImageMRZ ocrb.CompareConfig
	// CopyPurpose is the purpose a redacted copy's watermark names;
	// DefaultCopyPurpose when empty.
	CopyPurpose string
}

// Stage is the document check. It is safe for concurrent use.
type Stage struct {
	sessions Sessions
	tenants  Tenants
	results  Results
	keys     Keys
	objects  Objects
	reads    idv.Reads
	decodes  *capture.Decodes
	chip     *chip.Verifier // nil: chip captures are not verified
	reader   *ocrb.Reader
	faces    redact.FaceDetector
	// locator finds the MRZ cells to mask in a redacted copy: the reader
	// when there is one, else one built on first use.
	locator func() (*ocrb.Reader, error)
	now     func() time.Time
	log     *slog.Logger
	cfg     Config
}

// New returns the stage over its parts.
func New(deps Deps, cfg Config) *Stage {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.CopyPurpose == "" {
		cfg.CopyPurpose = DefaultCopyPurpose
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = imagegate.DefaultMaxPixels
	}
	slot, _ := schemas.SlotFor(schemas.Slots(1), schemas.DocumentFront)
	if cfg.MaxImageBytes <= 0 || cfg.MaxImageBytes > slot.MaxSize {
		cfg.MaxImageBytes = slot.MaxSize
	}
	s := &Stage{sessions: deps.Sessions, tenants: deps.Tenants, results: deps.Results, keys: deps.Keys,
		objects: deps.Objects, reads: deps.Reads, decodes: deps.Decodes, reader: deps.Reader, faces: deps.Faces,
		now: deps.Now, log: deps.Log, cfg: cfg}
	s.locator = sync.OnceValues(ocrb.NewReader)
	if deps.Reader != nil {
		s.locator = func() (*ocrb.Reader, error) { return deps.Reader, nil }
	}
	if deps.CSCAs != nil {
		s.chip = chip.NewVerifier(deps.CSCAs)
	}
	return s
}

// stores are the stage's parts as check.Load reads them.
func (s *Stage) stores() check.Stores {
	return check.Stores{Sessions: s.sessions, Results: s.results, Keys: s.keys, Objects: s.objects, Reads: s.reads,
		Now: s.now, Log: s.log}
}

// Handle runs the document check of a submitted session once: a session
// that did not request it, or already has its result, is left alone. Errors
// the stage cannot recover from by retrying (a malformed event, a session or
// key that is gone) are stage.Permanent; any other error means "try again".
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	var tenant idv.Tenant
	in, todo, err := check.Load(ctx, ev, s.stores(), schemas.CheckDocument, func(ctx context.Context, sess idv.Session) error {
		var err error
		tenant, err = s.tenants.Get(ctx, sess.TenantID)
		return stage.PermanentIf(err, idv.ErrNotFound)
	})
	if err != nil || !todo {
		return err
	}
	sess, log, key, caps := in.Session, in.Log, in.Key, in.Captures
	tenantID, sessionID := sess.TenantID, sess.ID

	now := s.now().UTC()
	// The face match reads the document front too when the session asks
	// for it: its decode is shared then.
	front := s.decodes.For(slices.Contains(sess.Checks, schemas.CheckFace))
	reasons, doc, src, err := s.check(ctx, key, caps, front, sess.ChipChallenge, mrz.Rules{AllowSpecimen: tenant.Policy.AllowSpecimen}, now)
	if err != nil {
		return err
	}
	if doc != nil {
		for _, r := range acceptanceReasons(doc, tenant.Policy, now) {
			reasons.Add(r)
		}
	}
	codes := reasons.Codes()
	outcome := Outcome(codes)
	var sealed []byte
	if doc != nil {
		fields := extractFields(doc, tenant.Policy.Fields, tenant.Policy.BSNLegalBasis, outcome == idv.OutcomePassed, now)
		if sealed, err = sealFields(key, sessionID, fields); err != nil {
			return err
		}
	}
	res := idv.Result{SessionID: sessionID, TenantID: tenantID, Attempt: sess.Attempt, Check: schemas.CheckDocument,
		Outcome: outcome, Reasons: codes, Engine: Engine, Models: map[string]string{}, CompletedAt: s.now().UTC(),
		FieldsSealed: sealed}
	if tenant.Policy.RedactedCopy {
		if res.Stored, err = s.redactedCopies(ctx, key, tenant, sess, src, now); err != nil {
			return err
		}
	}
	ended, err := check.Record(ctx, s.results, res, log)
	if err != nil {
		return err
	}
	if ended {
		return s.dropStored(ctx, res)
	}
	log.InfoContext(ctx, "document check completed", "outcome", outcome, "reasons", codes)
	return nil
}

// copySource is what the redacted copies are made from: the decoded front
// and back, when the images passed the gates, and the kind of document the
// app's MRZ names (nil when it names none), which picks the layout of the
// number zones.
type copySource struct {
	front, back image.Image
	// frontRead and backRead are the MRZs read from them when the image
	// checks ran, so that the copy need not read them again.
	frontRead, backRead *ocrb.Result
	kind                *redact.Kind
}

// check opens each document capture and collects the reasons to refuse the
// document, the parsed MRZ when it parses, and what a redacted copy is
// made from; the front's decode is shared through front. Plaintext bytes
// stay in this call and are cleared before it returns.
func (s *Stage) check(ctx context.Context, key *seal.SessionKey, caps []idv.Capture, front *capture.Decodes,
	challenge []byte, rules mrz.Rules, now time.Time) (idv.Reasons, *mrz.Document, copySource, error) {
	docs := documentCaptures(caps, s.chip != nil)
	// Submission requires the front; its absence is a broken session,
	// which no retry will mend. The MRZ text is the app's to send or not:
	// without it the stage reads the MRZ from the photos.
	has := func(k schemas.CaptureKind) bool {
		return slices.ContainsFunc(docs, func(c idv.Capture) bool { return c.Kind == k })
	}
	if !has(schemas.DocumentFront) {
		return nil, nil, copySource{}, stage.Permanent(fmt.Errorf("doccheck: session %s has no %s capture", key.SessionID(), schemas.DocumentFront))
	}
	var reasons idv.Reasons
	var doc *mrz.Document
	// The decoded images and the MRZ text live only as long as this call.
	var decoded evidence
	var mrzText []byte
	defer func() { clear(mrzText) }()
	var src copySource
	var chipFiles, chipAA []byte // cleared once verified
	defer func() { clear(chipFiles); clear(chipAA) }()
	for _, c := range docs {
		if c.Kind == schemas.DocumentFront || c.Kind == schemas.DocumentBack {
			// Refused unread past its cap; the front decoded here or by
			// another stage (front), the back here.
			decodes := front
			if c.Kind != schemas.DocumentFront {
				decodes = nil
			}
			img, reason, err := decodes.OpenImage(ctx, s.objects, key, c, s.cfg.MaxImageBytes, s.cfg.MaxPixels)
			if err != nil {
				return nil, nil, copySource{}, err
			}
			if reason != "" {
				reasons.Add(reason)
			} else {
				decoded.add(c.Kind, img)
			}
			continue
		}
		plain, reason, err := capture.Open(ctx, s.objects, key, c)
		if err != nil {
			return nil, nil, copySource{}, err
		}
		if reason != "" {
			reasons.Add(reason)
			continue
		}
		if c.Kind == schemas.Chip {
			chipFiles = plain // verified once the optical MRZ is known
			continue
		}
		if c.Kind == schemas.ChipAA {
			chipAA = plain
			continue
		}
		if c.Kind == schemas.MRZ {
			var rs []mrz.Reason
			doc, rs = checkMRZ(plain, rules, now)
			reasons.Add(mrzCodes(rs)...)
			mrzText = append(mrzText[:0], plain...)
			src.kind = kindOf(mrzText)
		}
		clear(plain)
	}
	photos := s.checkImages(&decoded, has(schemas.MRZ), mrzText, now)
	reasons.Add(photos.Reasons...)
	switch {
	case !photos.Passed:
		// No image, or one to take again: nothing was read.
	case mrzText != nil && s.reader != nil:
		reasons.Add(ocrb.Compare(photos.Read, string(mrzText), s.cfg.ImageMRZ).Reasons...)
	case !has(schemas.MRZ):
		// The MRZ the photos give, judged as the app's text would be;
		// none, and the person is asked for a new photo rather than
		// judged on a doubtful read (G/6, S/8, B/1 pass check digits),
		// so a misread never declines or approves anyone.
		if photos.Document == nil {
			reasons.Add(ocrb.ReasonUnreadable)
		} else {
			doc, mrzText = photos.Document, []byte(photos.Text)
			reasons.Add(mrzCodes(doc.Validate(now, rules))...)
			src.kind = kindOf(mrzText)
		}
	}
	// The chip's DG1 must equal the MRZ, whichever side it came from; with
	// no MRZ to hold it against (none read, the text's capture tampered)
	// the chip waits for the next photo.
	if chipFiles != nil && mrzText != nil {
		s.checkChip(&reasons, &decoded, chipInput{files: chipFiles, aa: chipAA, challenge: challenge, mrz: string(mrzText)}, now)
	}
	if photos.Passed {
		src.front, src.back = decoded.front, decoded.back
		src.frontRead, src.backRead = decoded.frontRead, decoded.backRead
	}
	return reasons, doc, src, nil
}

// checkImages runs the image checks (package framecheck: the quality
// gates when they are on, then, only if every image passes them, the MRZ
// read and its trust rule) on the decoded images, the back first: an
// identity card carries its MRZ there, a passport on its only page. The
// MRZ is read to compare with the app's text when the app sent it and the
// stage has a reader, or, when the app sent none (sent false), to be the
// MRZ; not when the app's text did not open. What was read is kept in
// decoded, for the redacted copy.
func (s *Stage) checkImages(decoded *evidence, sent bool, mrzText []byte, now time.Time) framecheck.Result {
	var reader *ocrb.Reader
	switch {
	case mrzText != nil:
		reader = s.reader
	case !sent:
		r, err := s.locator()
		if err != nil {
			s.log.Warn("doccheck: no MRZ reader", "err", err)
		}
		reader = r
	}
	images := decoded.images()
	res := framecheck.New(reader, framecheck.Config{Gates: s.cfg.QualityGates, Quality: s.cfg.Quality}).Check(now, images...)
	if res.Read != nil {
		decoded.setRead(images[res.From], res.Read)
	}
	return res
}

// kindOf is the kind of document an MRZ names, which picks the layout of
// the redacted copy's number zones; nil when it names none.
func kindOf(mrzText []byte) *redact.Kind {
	if k, ok := redact.KindOf(strings.Fields(string(mrzText))); ok {
		return &k
	}
	return nil
}

// documentCaptures picks the captures the document check reads: the front,
// the back if the app took one, the MRZ text, and the chip's files when the
// stage verifies chips. Selfies are another stage's.
func documentCaptures(caps []idv.Capture, verifyChip bool) []idv.Capture {
	var docs []idv.Capture
	for _, c := range caps {
		switch c.Kind {
		case schemas.DocumentFront, schemas.DocumentBack, schemas.MRZ:
			docs = append(docs, c)
		case schemas.Chip, schemas.ChipAA:
			if verifyChip {
				docs = append(docs, c)
			}
		}
	}
	return docs
}

// checkMRZ parses the MRZ text and judges the document on the day of now:
// the parsed document (nil when it does not parse) and the reasons.
func checkMRZ(text []byte, rules mrz.Rules, now time.Time) (*mrz.Document, []mrz.Reason) {
	doc, err := mrz.ParseAt(string(text), now)
	if err != nil {
		var e *mrz.Error
		if errors.As(err, &e) {
			return nil, []mrz.Reason{e.Reason}
		}
		return nil, []mrz.Reason{mrz.ReasonFormat}
	}
	return doc, doc.Validate(now, rules)
}

// evidence holds what the check decoded, for the length of one call.
type evidence struct {
	front, back image.Image
	// frontRead and backRead are the MRZs the reader read from them.
	frontRead, backRead *ocrb.Result
	// portrait is the chip's DG2 portrait, when passive authentication
	// vouched for it.
	portrait image.Image
}

// images returns the decoded images, the back first.
func (e *evidence) images() []image.Image {
	var out []image.Image
	for _, img := range []image.Image{e.back, e.front} {
		if img != nil {
			out = append(out, img)
		}
	}
	return out
}

// setRead records that r was read from img.
func (e *evidence) setRead(img image.Image, r *ocrb.Result) {
	switch img {
	case e.front:
		e.frontRead = r
	case e.back:
		e.backRead = r
	}
}

func (e *evidence) add(kind schemas.CaptureKind, img image.Image) {
	switch kind {
	case schemas.DocumentFront:
		e.front = img
	case schemas.DocumentBack:
		e.back = img
	}
}

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name:     "doccheck",
	Consumes: []string{schemas.TypeSessionSubmitted},
	Retry:    idv.RetryThroughOutage(),
	// The stage mostly waits on PostgreSQL and the object store:
	// DefaultConcurrency.
}

// dropStored deletes what the check stored (its redacted copies) when the
// session ended before its result could be recorded: the session's whole
// prefix, which its wipe empties too, so the order of the two does not
// matter. On an error the event is retried, but a redelivery finds the
// session ended and checks nothing: what is left is the wipe's tail
// sweep's to delete.
func (s *Stage) dropStored(ctx context.Context, res idv.Result) error {
	if len(res.Stored) == 0 {
		return nil
	}
	prefix := schemas.SessionPrefix(res.TenantID.String(), res.SessionID.String())
	if _, err := s.objects.DeletePrefix(ctx, prefix); err != nil {
		return fmt.Errorf("doccheck: session %s ended: delete its redacted copies: %w", res.SessionID, err)
	}
	return nil
}
