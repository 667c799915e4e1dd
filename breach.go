package idv

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/schemas"
)

// The breach register's entries (GDPR art. 33): IDV's own incidents, the
// tenants each touched, and the notice each tenant receives.

// ErrBreachIncomplete: a notice lacks one of the contents art. 33(3) asks for.
var ErrBreachIncomplete = errors.New("breach: notice incomplete")

// Breach is an entry of the breach register (migration 012).
type Breach struct {
	ID           uuid.UUID
	OpenedAt     time.Time
	WindowStart  time.Time
	WindowEnd    time.Time
	Tenants      []uuid.UUID // nil: every tenant
	Stages       []string
	Nature       string
	Consequences string
	Measures     string
	Contact      string
	UpdatedAt    time.Time
	Rounds       int
}

// Validate checks a breach's scope and texts.
func (b Breach) Validate() error {
	switch {
	case !b.WindowEnd.After(b.WindowStart):
		return fmt.Errorf("breach: the window must end after it starts")
	case strings.TrimSpace(b.Nature) == "" || len(b.Nature) > 4000:
		return fmt.Errorf("breach: nature must be 1 to 4000 characters")
	case strings.TrimSpace(b.Contact) == "" || len(b.Contact) > 500:
		return fmt.Errorf("breach: a contact point of 1 to 500 characters is required")
	case len(b.Consequences) > 4000 || len(b.Measures) > 4000:
		return fmt.Errorf("breach: consequences and measures are at most 4000 characters")
	}
	if err := schemas.ValidateBreachStages(b.Stages); err != nil {
		return fmt.Errorf("breach: %w", err)
	}
	return nil
}

// Affected is what a breach touched of one tenant, computed from IDV's
// records.
type Affected struct {
	TenantID      uuid.UUID
	Sessions      int // sessions alive in the window ≈ data subjects
	Categories    []string
	NotifiedRound int
	NotifiedAt    *time.Time
}

// Incomplete names the contents art. 33(3) asks of a notice that the breach
// lacks: nature, consequences, measures, contact.
func (b Breach) Incomplete() []string {
	var missing []string
	for _, f := range []struct{ name, v string }{{"nature", b.Nature}, {"consequences", b.Consequences},
		{"measures", b.Measures}, {"contact", b.Contact}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// BreachNotice is the idv.breach.notified event of round's notice of b to
// the tenant a: the operator's texts, and the counts and categories IDV
// computed for that tenant.
func BreachNotice(b Breach, a Affected, round int, at time.Time) Event {
	return BreachNotifiedEvent(schemas.BreachNotified{BreachID: b.ID.String(), TenantID: a.TenantID.String(), Round: round,
		Nature: b.Nature, Consequences: b.Consequences, Measures: b.Measures, Contact: b.Contact,
		Categories: append([]string{}, a.Categories...), Subjects: a.Sessions, Stages: b.Stages,
		WindowStart: b.WindowStart, WindowEnd: b.WindowEnd, DetectedAt: b.OpenedAt, NotifiedAt: at})
}
