package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// runAudit verifies a tenant's audit chain: `idv audit verify --tenant ID`
// prints how many entries verified and OK, or the first entry that does not
// and fails.
func runAudit(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("audit", "usage: idv audit verify --tenant ID", args, stderr, "verify")
	if err != nil {
		return err
	}
	id := fs.String("tenant", "", "tenant id (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
	return withStack(ctx, cfg, "audit verify", needMainDB, func(st *stack) error {
		n, err := postgres.NewAudit(st.db).Verify(ctx, tenantID)
		var brk *idv.AuditBreak
		if errors.As(err, &brk) {
			fmt.Fprintf(stdout, "tenant %s: audit log BROKEN at seq %d (%d entries before it verified): %s\n",
				tenantID, brk.Seq, n, brk.Reason)
			return fmt.Errorf("audit log of tenant %s broken at seq %d", tenantID, brk.Seq)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tenant %s: %d audit entries, chain OK\n", tenantID, n)
		return nil
	})
}
