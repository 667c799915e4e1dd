package doccheck

import (
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/redact"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// DefaultCopyPurpose is the purpose a redacted copy's watermark names when
// Config.CopyPurpose is empty: the Dutch KopieID wording, as the practice
// the copy follows is Dutch.
const DefaultCopyPurpose = "identiteitscontrole"

// redactedCopies makes the redacted copy of each side in src (none when
// the images did not pass the gates) and returns the captures to record.
func (s *Stage) redactedCopies(ctx context.Context, key *seal.SessionKey, tenant idv.Tenant, sess idv.Session,
	src copySource, now time.Time) ([]idv.Capture, error) {
	var out []idv.Capture
	sides := []struct {
		img  image.Image
		read *ocrb.Result
	}{schemas.RedactedCopyFront: {src.front, src.frontRead}, schemas.RedactedCopyBack: {src.back, src.backRead}}
	for i, side := range sides {
		if side.img == nil {
			continue
		}
		finder := redact.Finder{Faces: s.faces, Kind: src.kind, Read: side.read}
		c, err := s.redactedCopy(ctx, key, tenant, sess, side.img, finder, i, now)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// redactedCopy makes the redacted copy of one side of the document with
// finder (package redact), watermarked for the tenant on the day of now, seals it
// to the session key as capture redacted_copy/index and stores it under
// the session's prefix, where the wipe finds it. It returns the capture to
// record with the result. The plaintext copy is cleared once sealed.
//
// The copy is stored before the result is saved, so a retry after a
// failed save stores it again (same key, fresh sealing) and the record
// always names a stored copy. Two deliveries of one event racing each
// other can leave the loser's sealing in storage under the winner's
// record; the API then refuses to serve it (SHA-256 mismatch) rather than
// serve bytes it cannot vouch for.
func (s *Stage) redactedCopy(ctx context.Context, key *seal.SessionKey, tenant idv.Tenant, sess idv.Session,
	img image.Image, finder redact.Finder, index int, now time.Time) (idv.Capture, error) {
	sessionID := sess.ID
	// An MRZ the comparison read is not read again. Without the reader
	// the whole MRZ band is masked: more than needed, never less.
	if finder.Read == nil {
		if r, err := s.locator(); err == nil {
			finder.Reader = r
		} else {
			s.log.WarnContext(ctx, "redacted copy without the MRZ reader", "session_id", sessionID, "error", err)
		}
	}
	zones := finder.Find(img)
	jpg, err := redact.Copy(img, zones.All(), redact.Watermark{Purpose: s.cfg.CopyPurpose, Recipient: tenant.Name, Date: now})
	if err != nil {
		return idv.Capture{}, fmt.Errorf("doccheck: redacted copy of %s: %w", sessionID, err)
	}
	defer clear(jpg)
	sealed, err := seal.Seal(key.PublicKey(), seal.CaptureInfo(sessionID, sess.Attempt, string(schemas.RedactedCopy), index), jpg)
	if err != nil {
		return idv.Capture{}, fmt.Errorf("doccheck: seal redacted copy of %s: %w", sessionID, err)
	}
	c := idv.Capture{SessionID: sessionID, TenantID: tenant.ID, Attempt: sess.Attempt, Kind: schemas.RedactedCopy, Index: index,
		ObjectKey: schemas.ObjectKey(tenant.ID.String(), sessionID.String(), sess.Attempt, schemas.RedactedCopy, index),
		Size:      int64(len(sealed))}
	sum := sha256.Sum256(sealed)
	c.SHA256 = sum[:]
	if err := s.objects.Put(ctx, c.ObjectKey, sealed); err != nil {
		return idv.Capture{}, fmt.Errorf("doccheck: store redacted copy of %s: %w", sessionID, err)
	}
	// Not the layout's name: it would tell the issuing state.
	s.log.DebugContext(ctx, "redacted copy stored", "session_id", sessionID,
		"portrait_by_rule", zones.PortraitByRule, "mrz_by_rule", zones.MRZByRule, "viz_by_rule", zones.VIZByRule)
	return c, nil
}
