package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/idv-oss/idv"
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
	return withStack(ctx, cfg, "subprocessors "+args[0], needMainDB, func(st *stack) error {
		if args[0] == "list" {
			counts, err := postgres.NewSubprocessors(st.db).Counts(ctx)
			if err != nil {
				return err
			}
			for _, s := range cfg.Register.Subprocessors {
				c := counts[s.ID]
				fmt.Fprintf(stdout, "%s\t%s\t%s\tfrom %s\tannounced to %d tenant(s), %d objection(s)\t%s\n",
					s.ID, s.Name, s.Country, s.EffectiveDate, c.Announced, c.Objections, s.Purpose)
			}
			return nil
		}
		n, err := postgres.NewSubprocessors(st.db).Sync(idv.WithActor(ctx, idv.ActorOperator), cfg.Register.Subprocessors, time.Now(), idv.SubprocessorAnnouncedEvent)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d announcement(s) queued for the tenants' webhooks (%d register entries)\n",
			n, len(cfg.Register.Subprocessors))
		return nil
	})
}
