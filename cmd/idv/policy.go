package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

const policyUsage = `usage: idv tenant policy show --tenant ID
       idv tenant policy set --tenant ID [--fields f1,f2] [--derived-claims c1,c2] [--checks document,face]
           [--selfie-frames N] [--allow-specimen=true|false] [--retention-days D] [--document-types passport,id_card,visa]
           [--issuing-states NLD,D] [--minimum-age N] [--webhook-payload thin|full] [--redacted-copy=true|false] [--minors review|decline] [--bsn-legal-basis TEXT]
       A list flag given empty (--issuing-states=) clears the list.`

// runTenantPolicy shows or changes a tenant's policy as the operator, the
// same way PATCH /v1/policy does for the tenant (and with the same audit
// entries, actor operator:cli).
func runTenantPolicy(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "set") {
		return fmt.Errorf("%s", policyUsage)
	}
	fs := flag.NewFlagSet("tenant policy "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	var ch schemas.PolicyChange
	lists := map[string]**[]string{"fields": &ch.Fields, "derived-claims": &ch.DerivedClaims, "checks": &ch.Checks,
		"document-types": &ch.DocumentTypes, "issuing-states": &ch.IssuingStates}
	listText := map[string]*string{}
	for name := range lists {
		listText[name] = fs.String(name, "", "comma-separated; empty clears")
	}
	frames := fs.Int("selfie-frames", 0, "selfie frames per session, 1..20")
	specimen := fs.Bool("allow-specimen", false, "accept specimen documents")
	days := fs.Int("retention-days", 0, "retention in days, 1..28 (lowering it shortens existing sessions)")
	age := fs.Int("minimum-age", 0, "minimum age of the document holder, 0 for none")
	payload := fs.String("webhook-payload", "", "thin or full")
	redacted := fs.Bool("redacted-copy", false, "keep a redacted document copy")
	minors := fs.String("minors", "", "holders under 16: review (parental consent required) or decline")
	bsnBasis := fs.String("bsn-legal-basis", "", "the law that allows processing the BSN (needed for the field bsn); empty clears")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := uuid.Parse(*id)
	if err != nil {
		return fmt.Errorf("--tenant must be a tenant id (a UUID)")
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "selfie-frames":
			ch.SelfieFrames = frames
		case "allow-specimen":
			ch.AllowSpecimen = specimen
		case "retention-days":
			ch.RetentionDays = days
		case "minimum-age":
			ch.MinimumAge = age
		case "webhook-payload":
			ch.WebhookPayload = payload
		case "redacted-copy":
			ch.RedactedCopy = redacted
		case "minors":
			ch.Minors = minors
		case "bsn-legal-basis":
			ch.BSNLegalBasis = bsnBasis
		default:
			if dst, ok := lists[f.Name]; ok {
				v := splitList(*listText[f.Name])
				*dst = &v
			}
		}
	})
	if args[0] == "show" && !ch.Empty() {
		return fmt.Errorf("policy show takes only --tenant")
	}
	return withStack(ctx, cfg, "tenant policy "+args[0], needDatabases, func(st *stack) error {
		tenants := postgres.NewTenants(st.db)
		t, err := tenants.Get(ctx, tenantID)
		if err != nil {
			return err
		}
		if args[0] == "set" {
			ctx := idv.WithActor(ctx, idv.ActorOperator)
			p := tenant.Policies{Tenants: tenants, Sessions: postgres.NewSessions(st.db), Keys: st.vault}
			if t, err = p.Update(ctx, tenantID, ch); err != nil {
				return err
			}
		}
		printPolicy(stdout, t)
		return nil
	})
}

func printPolicy(w io.Writer, t idv.Tenant) {
	p := t.Policy
	list := func(v []string) string {
		if len(v) == 0 {
			return "(none)"
		}
		return strings.Join(v, ",")
	}
	orNone := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return v
	}
	orAny := func(v []string) string {
		if len(v) == 0 {
			return "(any)"
		}
		return strings.Join(v, ",")
	}
	fmt.Fprintf(w, "tenant %s (%s)\n", t.ID, t.Name)
	for _, kv := range [][2]string{
		{schemas.SettingFields, list(p.PersonalFields())},
		{schemas.SettingDerivedClaims, list(p.Claims())},
		{schemas.SettingChecks, list(p.Checks)},
		{schemas.SettingSelfieFrames, strconv.Itoa(p.SelfieFrames)},
		{schemas.SettingAllowSpecimen, strconv.FormatBool(p.AllowSpecimen)},
		{schemas.SettingRetentionDays, strconv.Itoa(t.RetentionDays)},
		{schemas.SettingDocumentTypes, orAny(p.DocumentTypes)},
		{schemas.SettingIssuingStates, orAny(p.IssuingStates)},
		{schemas.SettingMinimumAge, strconv.Itoa(p.MinimumAge)},
		{schemas.SettingWebhookPayload, p.Payload()},
		{schemas.SettingRedactedCopy, strconv.FormatBool(p.RedactedCopy)},
		{schemas.SettingMinors, p.MinorsRule()},
		{schemas.SettingBSNLegalBasis, orNone(p.BSNLegalBasis)},
	} {
		fmt.Fprintf(w, "  %-16s %s\n", kv[0]+":", kv[1])
	}
}
