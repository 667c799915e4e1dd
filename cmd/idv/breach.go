package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

const breachUsage = `usage: idv breach open --from T --to T --stages s1,s2 --nature TEXT [--tenants id1,id2]
           [--consequences TEXT] [--measures TEXT] [--contact TEXT]
       idv breach update --breach B [any of the flags of open]
       idv breach notify --breach B
       idv breach list
  Times are RFC 3339 (2026-11-25T08:00:00Z). Stages: ` + "api, storage, database, keystore, doccheck, facematch, decision, notify, wipe" + `.
  No --tenants: every tenant. The contact defaults to IDV_PROCESSOR_DPO, else IDV_PROCESSOR_CONTACT.`

// runBreach keeps the breach register. IDV computes from its own records
// whom a breach touches (sessions alive in the window, per tenant, and the
// categories of data the stages hold) and notifies each affected tenant
// with a breach.notified webhook; the agreement gives 24 hours.
func runBreach(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("breach", breachUsage, args, stderr, "open", "update", "notify", "list")
	if err != nil {
		return err
	}
	id := fs.String("breach", "", "breach id")
	from := fs.String("from", "", "start of the window the breach may have exposed (RFC 3339)")
	to := fs.String("to", "", "end of the window (RFC 3339)")
	tenants := fs.String("tenants", "", "comma-separated tenant ids in scope; empty: every tenant")
	stages := fs.String("stages", "", "comma-separated stages touched")
	nature := fs.String("nature", "", "what happened")
	consequences := fs.String("consequences", "", "the likely consequences")
	measures := fs.String("measures", "", "measures taken or proposed")
	contact := fs.String("contact", first(cfg.Register.Processor.DPO, cfg.Register.Processor.Contact), "contact point for more information")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// apply copies the flags given onto b.
	apply := func(b *idv.Breach) error {
		for name, dst := range map[string]*time.Time{"from": &b.WindowStart, "to": &b.WindowEnd} {
			if !set[name] {
				continue
			}
			v := map[string]string{"from": *from, "to": *to}[name]
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-11-25T08:00:00Z", name, v)
			}
			*dst = t.UTC()
		}
		if set["tenants"] {
			b.Tenants = nil
			for _, s := range splitList(*tenants) {
				t, err := uuid.Parse(s)
				if err != nil {
					return fmt.Errorf("--tenants: %q is not a tenant id", s)
				}
				b.Tenants = append(b.Tenants, t)
			}
		}
		if set["stages"] {
			b.Stages = splitList(*stages)
		}
		for name, p := range map[string]struct {
			dst *string
			v   string
		}{"nature": {&b.Nature, *nature}, "consequences": {&b.Consequences, *consequences},
			"measures": {&b.Measures, *measures}, "contact": {&b.Contact, *contact}} {
			if set[name] || (name == "contact" && b.Contact == "") {
				*p.dst = strings.TrimSpace(p.v)
			}
		}
		return nil
	}
	return withStack(ctx, cfg, "breach", needMainDB, func(st *stack) error {
		store := postgres.NewBreaches(st.db)
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		now := time.Now()
		switch args[0] {
		case "open":
			b := idv.Breach{OpenedAt: now}
			if err := apply(&b); err != nil {
				return err
			}
			b, affected, err := store.Open(ctx, b)
			if err != nil {
				return err
			}
			printBreach(stdout, b, affected)
			fmt.Fprintf(stdout, "notify the affected tenants by %s: idv breach notify --breach %s\n",
				b.OpenedAt.Add(postgres.BreachDeadline).Format(time.RFC3339), b.ID)
		case "update":
			breachID, err := parseID("breach", *id)
			if err != nil {
				return err
			}
			var applyErr error
			b, affected, err := store.Update(ctx, breachID, now, func(b *idv.Breach) { applyErr = apply(b) })
			if err := errors.Join(applyErr, err); err != nil {
				return err
			}
			printBreach(stdout, b, affected)
		case "notify":
			breachID, err := parseID("breach", *id)
			if err != nil {
				return err
			}
			round, affected, err := store.Notify(ctx, breachID, now, idv.BreachNotice)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "breach %s: notice round %d queued for %d tenant(s) as breach.notified webhooks\n",
				breachID, round, len(affected))
		case "list":
			bs, affected, err := store.List(ctx)
			if err != nil {
				return err
			}
			for _, b := range bs {
				printBreach(stdout, b, affected[b.ID])
			}
		default:
			return errors.New(breachUsage)
		}
		return nil
	})
}

func printBreach(w io.Writer, b idv.Breach, affected []idv.Affected) {
	scope := "every tenant"
	if b.Tenants != nil {
		scope = fmt.Sprintf("%d tenant(s)", len(b.Tenants))
	}
	fmt.Fprintf(w, "breach %s opened %s, window %s to %s, scope %s, stages %s, notice rounds %d\n",
		b.ID, b.OpenedAt.Format(time.RFC3339), b.WindowStart.Format(time.RFC3339), b.WindowEnd.Format(time.RFC3339),
		scope, strings.Join(b.Stages, ","), b.Rounds)
	subjects := 0
	for _, a := range affected {
		notified := "not notified"
		if a.NotifiedAt != nil {
			notified = fmt.Sprintf("notified (round %d) %s", a.NotifiedRound, a.NotifiedAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(w, "  tenant %s: ~%d data subject(s), data %s; %s\n", a.TenantID, a.Sessions,
			strings.Join(a.Categories, ","), notified)
		subjects += a.Sessions
	}
	fmt.Fprintf(w, "  %d tenant(s) affected, ~%d data subject(s) in all\n", len(affected), subjects)
}
