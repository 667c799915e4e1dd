package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/idv-oss/idv/infra/postgres"
)

// runSubprocessors handles `idv subprocessors list|sync`. sync announces
// every register entry (IDV_SUBPROCESSORS_FILE) not announced before to
// every tenant, as a subprocessor.announced webhook through the outbox;
// run it after adding an entry, well before its effective date.
func runSubprocessors(ctx context.Context, args []string, cfg config, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "list" && args[0] != "sync") {
		return fmt.Errorf("usage: idv subprocessors list|sync (the register is the file IDV_SUBPROCESSORS_FILE names)")
	}
	if args[0] == "list" {
		for _, s := range cfg.Register.Subprocessors {
			fmt.Fprintf(stdout, "%s\t%s\t%s\tfrom %s\t%s\n", s.ID, s.Name, s.Country, s.EffectiveDate, s.Purpose)
		}
		return nil
	}
	db, err := openMainDB(ctx, cfg, "subprocessors sync")
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := postgres.NewSubprocessors(db).Sync(postgres.WithActor(ctx, postgres.ActorOperator), cfg.Register.Subprocessors, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d announcement(s) queued for the tenants' webhooks (%d register entries)\n",
		n, len(cfg.Register.Subprocessors))
	return nil
}
