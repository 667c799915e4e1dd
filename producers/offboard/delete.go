package offboard

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// ErrNotExported: the delete was asked for before any archive was written
// for the tenant, without --no-export.
var ErrNotExported = errors.New("offboard: no export written for the tenant")

// TenantKeys destroys a tenant's epoch keys (vault.Vault).
type TenantKeys interface {
	LiveEpochs(ctx context.Context, tenantID uuid.UUID) (int, error)
	DestroyTenant(ctx context.Context, tenantID uuid.UUID, until time.Time) (int, error)
}

// Deleter destroys a tenant's data.
type Deleter struct {
	Offboardings Offboardings
	Keys         TenantKeys
	Objects      idv.PrefixDeleter
	Signer       idv.ReceiptSigner
	Progress     io.Writer        // io.Discard when nil
	Now          func() time.Time // time.Now when nil
}

// Deleted is a finished offboarding: the receipt and its signed bytes.
type Deleted struct {
	Receipt   schemas.OffboardingReceipt
	Statement []byte
	Signature []byte
	KeyID     string
}

// Delete destroys the tenant's data in the order that makes it safe at
// every point: the tenant marked offboarding (nothing new comes in), then
// every epoch key of the tenant destroyed at once (from here no copy of any
// of its session keys opens, backups included), then every object under its
// prefix, then its rows, with a signed receipt. Each step records its
// completion, so a delete interrupted anywhere completes when run again;
// one already finished returns its receipt. Without noExport it refuses
// (ErrNotExported) unless an archive was written for the tenant.
func (d *Deleter) Delete(ctx context.Context, tenantID uuid.UUID, noExport bool) (Deleted, error) {
	o, err := d.begin(ctx, tenantID, noExport)
	if err != nil {
		return Deleted{}, err
	}
	progress := d.progress()
	if o.FinishedAt == nil && o.EpochsDestroyedAt == nil {
		if err := d.destroyEpochs(ctx, tenantID, progress); err != nil {
			return Deleted{}, err
		}
	}
	if o.FinishedAt == nil && o.ObjectsDeletedAt == nil {
		if err := d.deleteObjects(ctx, tenantID, progress); err != nil {
			return Deleted{}, err
		}
	}
	if o, err = d.Offboardings.Finish(ctx, tenantID, d.now(), func(f idv.OffboardFacts) (idv.SignedReceipt, error) {
		return d.sign(ctx, f)
	}); err != nil {
		return Deleted{}, err
	}
	r, err := idv.ParseOffboardingReceipt(o.Statement)
	if err != nil {
		return Deleted{}, err
	}
	fmt.Fprintf(progress, "  rows deleted, receipt %s signed\n", r.ReceiptID)
	return Deleted{Receipt: r, Statement: o.Statement, Signature: o.Signature, KeyID: o.KeyID}, nil
}

// begin checks the delete may go ahead and marks the tenant offboarding.
func (d *Deleter) begin(ctx context.Context, tenantID uuid.UUID, noExport bool) (idv.Offboarding, error) {
	notExported := fmt.Errorf("%w %s: run `idv tenant offboard --export` first, or pass --no-export", ErrNotExported, tenantID)
	o, err := d.Offboardings.Get(ctx, tenantID)
	switch {
	case errors.Is(err, idv.ErrNotFound) && noExport:
		o, err = d.Offboardings.Start(ctx, tenantID, d.now())
	case errors.Is(err, idv.ErrNotFound):
		return o, notExported
	}
	if err != nil {
		return o, err
	}
	if o.FinishedAt != nil || o.ExportedAt != nil || o.NoExport {
		return o, nil
	}
	if !noExport {
		return o, notExported
	}
	return o, d.Offboardings.MarkNoExport(ctx, tenantID)
}

// destroyEpochs counts the tenant's live epoch keys, records the count,
// then destroys them all in one key-store transaction, and bars every hour
// a session could still expire in.
func (d *Deleter) destroyEpochs(ctx context.Context, tenantID uuid.UUID, progress io.Writer) error {
	live, err := d.Keys.LiveEpochs(ctx, tenantID)
	if err != nil {
		return err
	}
	if live, err = d.Offboardings.RecordEpochKeys(ctx, tenantID, live); err != nil {
		return err
	}
	until := d.now().Add((schemas.MaxRetentionDays*24 + 2) * time.Hour)
	if _, err := d.Keys.DestroyTenant(ctx, tenantID, until); err != nil {
		return err
	}
	if err := d.Offboardings.EpochsDestroyed(ctx, tenantID, d.now()); err != nil {
		return err
	}
	fmt.Fprintf(progress, "  %d epoch keys destroyed; no session key of the tenant opens any more\n", live)
	return nil
}

// deleteObjects deletes everything under the tenant's prefix, calling
// DeletePrefix again as long as each call makes progress.
func (d *Deleter) deleteObjects(ctx context.Context, tenantID uuid.UUID, progress io.Writer) error {
	total := 0
	for {
		n, err := d.Objects.DeletePrefix(ctx, tenantID.String()+"/")
		total += n
		if rerr := d.Offboardings.AddObjectsDeleted(ctx, tenantID, n, err == nil, d.now()); rerr != nil {
			return rerr
		}
		if err == nil {
			fmt.Fprintf(progress, "  %d object versions and uploads deleted; storage prefix empty\n", total)
			return nil
		}
		if n == 0 {
			return fmt.Errorf("offboard: delete objects of %s (%d deleted): %w", tenantID, total, err)
		}
		fmt.Fprintf(progress, "  %d object versions deleted so far\n", total)
	}
}

// sign builds and signs the offboarding receipt of the facts Finish found.
func (d *Deleter) sign(ctx context.Context, f idv.OffboardFacts) (idv.SignedReceipt, error) {
	r := schemas.OffboardingReceipt{ReceiptID: f.ReceiptID.String(), TenantID: f.TenantID.String(),
		StartedAt: f.StartedAt, NoExport: f.NoExport && f.ExportedAt == nil, ObjectsDeleted: f.ObjectsDeleted,
		Sessions: f.Sessions, SessionsNotWiped: f.NotWiped, RowsDeleted: f.RowsDeleted, FinishedAt: f.FinishedAt,
		AuditSeq: f.AuditSeq, AuditHash: hex.EncodeToString(f.AuditHash), Statement: schemas.OffboardingStatement}
	if f.ExportedAt != nil {
		at := f.ExportedAt.UTC()
		r.ExportedAt, r.ExportSHA256 = &at, hex.EncodeToString(f.ExportSHA256)
	}
	if f.EpochKeys != nil {
		r.EpochKeysDestroyed = *f.EpochKeys
	}
	if f.EpochsDestroyedAt != nil {
		r.EpochsDestroyedAt = *f.EpochsDestroyedAt
	}
	statement, err := r.MarshalStatement()
	if err != nil {
		return idv.SignedReceipt{}, err
	}
	sig, keyID, err := d.Signer.SignReceipt(ctx, statement)
	if err != nil {
		return idv.SignedReceipt{}, fmt.Errorf("offboard: sign the receipt of %s: %w", f.TenantID, err)
	}
	return idv.SignedReceipt{Statement: statement, Signature: sig, KeyID: keyID}, nil
}

func (d *Deleter) now() time.Time { return clock(d.Now) }

func (d *Deleter) progress() io.Writer { return orDiscard(d.Progress) }
