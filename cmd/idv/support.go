package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

const supportUsage = `usage: idv support grant --tenant T --user U --reason R [--hours H]   (H ≤ 24, default 4)
       idv support revoke --grant G
       idv support list
       idv support read-session --grant G --session S`

// runSupport administers time-boxed support access: a grant names the
// support user, the tenant and the reason and ends by itself; reads under
// it are recorded in the tenant's audit log before they happen.
func runSupport(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("support", supportUsage, args, stderr, "grant", "revoke", "list", "read-session")
	if err != nil {
		return err
	}
	tenantFlag := fs.String("tenant", "", "tenant id")
	user := fs.String("user", "", "support user (lower-case id, e.g. alice or alice.smith)")
	reason := fs.String("reason", "", "why access is needed, e.g. a ticket reference")
	hours := fs.Float64("hours", 4, "how long the grant lasts, at most 24")
	grantFlag := fs.String("grant", "", "grant id")
	sessionFlag := fs.String("session", "", "session id")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withStack(ctx, cfg, "support", needMainDB, func(st *stack) error {
		store := postgres.NewSupport(st.db)
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		now := time.Now()
		switch args[0] {
		case "grant":
			tenantID, err := parseID("tenant", *tenantFlag)
			if err != nil {
				return err
			}
			if *hours <= 0 || *hours > 24 {
				return fmt.Errorf("--hours must be more than 0 and at most 24: support access never lasts longer")
			}
			g, err := store.Grant(ctx, tenantID, *user, strings.TrimSpace(*reason), time.Duration(*hours*float64(time.Hour)), now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "grant %s: %s may read tenant %s's sessions until %s (ends by itself)\n",
				g.ID, g.User, g.TenantID, g.ExpiresAt.Format(time.RFC3339))
		case "revoke":
			id, err := parseID("grant", *grantFlag)
			if err != nil {
				return err
			}
			g, err := store.Revoke(ctx, id, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "grant %s revoked at %s\n", g.ID, g.RevokedAt.Format(time.RFC3339))
		case "list":
			gs, err := store.Live(ctx, now)
			if err != nil {
				return err
			}
			if len(gs) == 0 {
				fmt.Fprintln(stdout, "no live support grants")
			}
			for _, g := range gs {
				fmt.Fprintf(stdout, "%s\ttenant %s\tuser %s\tuntil %s\treason: %s\n", g.ID, g.TenantID, g.User,
					g.ExpiresAt.Format(time.RFC3339), g.Reason)
			}
		case "read-session":
			grantID, err1 := uuid.Parse(*grantFlag)
			sessionID, err2 := uuid.Parse(*sessionFlag)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("--grant and --session must be ids (UUIDs)")
			}
			g, sess, results, err := store.ReadSession(ctx, grantID, sessionID, now)
			if errors.Is(err, postgres.ErrGrantEnded) {
				return fmt.Errorf("grant %s has expired or was revoked: no access", grantID)
			}
			if err != nil {
				return err
			}
			printSupportRead(stdout, g, sess, results)
		default:
			return errors.New(supportUsage)
		}
		return nil
	})
}

// printSupportRead shows a session's state and check results: ids, codes
// and scores. The extracted fields stay sealed: support needs to see why a
// session was decided as it was, not who the person is.
func printSupportRead(w io.Writer, g postgres.SupportGrant, s idv.Session, results []idv.Result) {
	fmt.Fprintf(w, "session %s (tenant %s), read under grant %s by %s; recorded in the tenant's audit log\n",
		s.ID, s.TenantID, g.ID, g.User)
	decision := "(none yet)"
	if s.Decision != nil {
		decision = string(*s.Decision)
	}
	fmt.Fprintf(w, "  status:   %s\n  decision: %s\n  checks:   %s\n  created:  %s\n  expires:  %s\n",
		s.Status, decision, strings.Join(s.Checks, ","), s.CreatedAt.UTC().Format(time.RFC3339), s.ExpiresAt.UTC().Format(time.RFC3339))
	for _, r := range results {
		score := ""
		if r.Score != nil && r.Threshold != nil {
			score = fmt.Sprintf(" score %.3f (threshold %.3f)", *r.Score, *r.Threshold)
		}
		fmt.Fprintf(w, "  result:   %s %s%s reasons [%s] engine %s\n", r.Check, r.Outcome, score,
			strings.Join(r.Reasons, ","), r.Engine)
	}
}
