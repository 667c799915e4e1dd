// Package offboard ends a tenant's service (GDPR art. 28(3)(g)): Export
// hands every session the tenant still has, decrypted, to the tenant in an
// archive sealed to the tenant's own key (producers/offboard/archive), and Delete then
// destroys every epoch key of the tenant at once, every object under its
// storage prefix and its rows, and signs a receipt.
//
// It sits with the consumers because it does what they do, for a whole
// tenant: it opens captures as the check stages do (package capture) and
// destroys data as the wipe stage does. The `idv tenant offboard` command
// runs it; no stream feeds it.
//
// Nothing decrypted reaches a disk: captures are opened in memory one at a
// time and written straight into the sealed stream. Logs and progress carry
// ids and counts only.
package offboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/producers/offboard/archive"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// page is how many sessions, receipts or audit entries are read at a time.
const page = 100

// Exporter writes a tenant's offboarding archive.
type Exporter struct {
	Offboardings Offboardings
	Tenants      Tenants
	Sessions     Sessions
	Results      Results
	Audit        Audit
	// SignAudit signs the audit checkpoint the archive ends its audit log
	// with (tenant/audit-checkpoint.json); required.
	SignAudit idv.StatementSigner
	Keys      capture.Unwrapper
	Objects   capture.Getter
	Progress  io.Writer        // io.Discard when nil
	Now       func() time.Time // time.Now when nil
}

// ExportSummary is what an export wrote.
type ExportSummary struct {
	Sessions int
	Captures int
	Entries  int
	Bytes    int64  // sealed bytes written
	SHA256   []byte // of the sealed bytes
	Manifest archive.Manifest
}

// Export marks the tenant offboarding (its API keys refused from now on,
// so the archive is complete), records the export in the audit log before
// reading anything, writes the archive sealed to recipient (a public key of
// the IDV suite) to w, and records its SHA-256.
func (e *Exporter) Export(ctx context.Context, tenantID uuid.UUID, recipient []byte, w io.Writer) (ExportSummary, error) {
	if err := seal.CheckPublicKey(recipient); err != nil {
		return ExportSummary{}, fmt.Errorf("offboard: recipient key: %w", err)
	}
	now, progress := e.now(), e.progress()
	o, err := e.Offboardings.Start(ctx, tenantID, now)
	if err != nil {
		return ExportSummary{}, err
	}
	if o.FinishedAt != nil || o.EpochsDestroyedAt != nil {
		return ExportSummary{}, fmt.Errorf("offboard: tenant %s: %w", tenantID, ErrDeleted)
	}
	fp := sha256.Sum256(recipient)
	if err := e.Audit.Record(ctx, idv.AuditEntry{TenantID: tenantID, At: now,
		Actor: idv.ActorOf(ctx, idv.ActorOperator), Action: idv.AuditOffboardingExport,
		Detail: map[string]string{"recipient_key_hash": hex.EncodeToString(fp[:])}}); err != nil {
		return ExportSummary{}, fmt.Errorf("offboard: record export: %w", err)
	}
	aw, err := archive.NewWriter(w, recipient, tenantID, now)
	if err != nil {
		return ExportSummary{}, err
	}
	var sum ExportSummary
	if err := e.writeTenant(ctx, aw, tenantID); err != nil {
		return sum, err
	}
	for after := uuid.Nil; ; {
		sessions, err := e.Offboardings.Sessions(ctx, tenantID, after, page)
		if err != nil {
			return sum, err
		}
		for _, s := range sessions {
			n, err := e.writeSession(ctx, aw, s)
			if err != nil {
				return sum, err
			}
			sum.Sessions++
			sum.Captures += n
			if sum.Sessions%25 == 0 {
				fmt.Fprintf(progress, "  %d sessions exported (%d captures, %.1f MiB sealed)\n",
					sum.Sessions, sum.Captures, float64(aw.Written())/(1<<20))
			}
			after = s.ID
		}
		if len(sessions) < page {
			break
		}
	}
	if err := e.writeRecords(ctx, aw, tenantID); err != nil {
		return sum, err
	}
	if sum.Manifest, err = aw.Close(sum.Sessions); err != nil {
		return sum, err
	}
	sum.Entries, sum.Bytes, sum.SHA256 = len(sum.Manifest.Entries)+1, aw.Written(), aw.SHA256()
	fmt.Fprintf(progress, "  %d sessions, %d captures, %d entries, %.1f MiB sealed\n",
		sum.Sessions, sum.Captures, sum.Entries, float64(sum.Bytes)/(1<<20))
	return sum, nil
}

// Record records a finished archive: call it once the archive is safely
// stored (written and synced), so that Delete may go ahead.
func (e *Exporter) Record(ctx context.Context, tenantID uuid.UUID, sum ExportSummary) error {
	return e.Offboardings.RecordExport(ctx, tenantID, e.now(), sum.SHA256, sum.Sessions, sum.Entries)
}

func (e *Exporter) now() time.Time { return clock(e.Now) }

func (e *Exporter) progress() io.Writer { return orDiscard(e.Progress) }

// clock is now (time.Now when nil) at the database's precision, so that
// the times in a receipt are the times stored.
func clock(now func() time.Time) time.Time {
	if now == nil {
		now = time.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// orDiscard is w, or io.Discard when nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tenantInfo is tenant/tenant.json.
type tenantInfo struct {
	TenantID      string    `json:"tenant_id"`
	Name          string    `json:"name"`
	RetentionDays int       `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
	ExportedAt    time.Time `json:"exported_at"`
}

func (e *Exporter) writeTenant(ctx context.Context, aw *archive.Writer, tenantID uuid.UUID) error {
	t, err := e.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	if err := aw.AddJSON("tenant/tenant.json", tenantInfo{TenantID: t.ID.String(), Name: t.Name,
		RetentionDays: t.RetentionDays, CreatedAt: t.CreatedAt.UTC(), ExportedAt: e.now()}); err != nil {
		return err
	}
	return aw.AddJSON("tenant/policy.json", t.Policy)
}

// writeRecords adds the tenant's deletion receipts and its audit log.
func (e *Exporter) writeRecords(ctx context.Context, aw *archive.Writer, tenantID uuid.UUID) error {
	for after := uuid.Nil; ; {
		rs, err := e.Offboardings.Receipts(ctx, tenantID, after, page)
		if err != nil {
			return err
		}
		for _, r := range rs {
			addenda := make([]addendumFile, len(r.Addenda))
			for i, a := range r.Addenda {
				addenda[i] = addendumFile{AddendumID: a.ID.String(), KeyID: a.KeyID, Statement: json.RawMessage(a.Statement), Signature: a.Signature}
			}
			if err := aw.AddJSON("tenant/deletion-receipts/"+r.ReceiptID.String()+".json", receiptFile{
				ReceiptID: r.ReceiptID.String(), SessionID: r.SessionID.String(), KeyID: r.KeyID,
				Statement: json.RawMessage(r.Statement), Signature: r.Signature, Addenda: addenda}); err != nil {
				return err
			}
			after = r.ReceiptID
		}
		if len(rs) < page {
			break
		}
	}
	for after, part := int64(0), 1; ; part++ {
		events, err := e.Audit.List(ctx, tenantID, after, 10*page)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			break
		}
		var b []byte
		for _, ev := range events {
			line, err := json.Marshal(ev.Export())
			if err != nil {
				return fmt.Errorf("offboard: encode audit entry %d: %w", ev.Seq, err)
			}
			b = append(append(b, line...), '\n')
			after = ev.Seq
		}
		if err := aw.AddBytes(fmt.Sprintf("tenant/audit-events/%06d.jsonl", part), b); err != nil {
			return err
		}
	}
	cp, err := idv.Checkpoint(ctx, e.Audit, e.SignAudit, tenantID, schemas.CheckpointArchive, e.now())
	if err != nil {
		return err
	}
	return aw.AddJSON("tenant/audit-checkpoint.json", cp)
}

// receiptFile is a deletion receipt as the archive holds it: the signed
// statement as it was signed, and the signature (verify with the key of
// GET /v1/receipt-signing-key, or the one in the offboarding receipt).
type receiptFile struct {
	ReceiptID string          `json:"receipt_id"`
	SessionID string          `json:"session_id"`
	KeyID     string          `json:"key_id"`
	Statement json.RawMessage `json:"statement"`
	Signature []byte          `json:"signature"`
	// Addenda are the receipt's signed addenda (the tail sweep's), oldest
	// first; omitted when there are none.
	Addenda []addendumFile `json:"addenda,omitempty"`
}

// addendumFile is a signed deletion addendum as the archive holds it.
type addendumFile struct {
	AddendumID string          `json:"addendum_id"`
	KeyID      string          `json:"key_id"`
	Statement  json.RawMessage `json:"statement"`
	Signature  []byte          `json:"signature"`
}

// ErrDeleted: the tenant's delete has begun or finished; nothing is left
// to export.
var ErrDeleted = errors.New("offboard: the tenant's data is deleted or being deleted")
