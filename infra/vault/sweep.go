package vault

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Epoch names one tenant's epoch key: the expiry hour (UTC) whose session
// keys it wraps.
type Epoch struct {
	TenantID uuid.UUID
	Hour     time.Time
}

// Epochs lists the epoch keys not yet destroyed whose hour is at or before
// before, oldest first: the candidates of the retention sweep, which
// destroys each once no session key wrapped under it is left (docs/design.md
// invariant 3). Destroyed epochs are not listed.
func (v *Vault) Epochs(ctx context.Context, before time.Time) ([]Epoch, error) {
	var rows []struct {
		TenantID uuid.UUID `db:"tenant_id"`
		Epoch    time.Time `db:"epoch"`
	}
	if err := v.keystore.SelectContext(ctx, &rows, `SELECT tenant_id, epoch FROM epoch_keys
		WHERE destroyed_at IS NULL AND epoch <= $1 ORDER BY epoch, tenant_id`, before); err != nil {
		return nil, fmt.Errorf("vault: list epochs: %w", err)
	}
	epochs := make([]Epoch, len(rows))
	for i, r := range rows {
		epochs[i] = Epoch{TenantID: r.TenantID, Hour: r.Epoch.UTC()}
	}
	return epochs, nil
}
