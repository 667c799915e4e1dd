package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

const policyUsage = `usage: idv tenant policy show --tenant ID
       idv tenant policy set --tenant ID [--fields f1,f2] [--derived-claims c1,c2] [--checks document,face]
           [--selfie-frames N] [--allow-specimen=true|false] [--retention-days D] [--document-types passport,id_card,visa]
           [--issuing-states NLD,D] [--minimum-age N] [--webhook-payload thin|full] [--redacted-copy=true|false] [--minors review|decline] [--bsn-legal-basis TEXT]
           [--purpose TEXT] [--controller-contact EMAIL|URL] [--privacy-notice-url URL]
           [--return-urls https://…,…] [--embed-origins https://shop.example,…] [--display-name TEXT] [--brand-colour '#rrggbb']
       A list flag given empty (--issuing-states=) clears the list.`

// runTenantPolicy shows or changes a tenant's policy as the operator, the
// same way PATCH /v1/policy does for the tenant (and with the same audit
// entries, actor operator:cli).
func runTenantPolicy(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("tenant policy", policyUsage, args, stderr, "show", "set")
	if err != nil {
		return err
	}
	id := fs.String("tenant", "", "tenant id (required)")
	// Each flag sets its field of ch only when given: what is not given
	// stays as it is.
	var ch schemas.PolicyChange
	for name, dst := range map[string]**[]string{"fields": &ch.Fields, "derived-claims": &ch.DerivedClaims, "checks": &ch.Checks,
		"document-types": &ch.DocumentTypes, "issuing-states": &ch.IssuingStates, "return-urls": &ch.ReturnURLs, "embed-origins": &ch.EmbedOrigins} {
		fs.Func(name, "comma-separated; empty clears", given(dst, func(v string) ([]string, error) { return splitList(v), nil }))
	}
	fs.Func("selfie-frames", "selfie frames per session, 1..20", given(&ch.SelfieFrames, atoi))
	fs.BoolFunc("allow-specimen", "accept specimen documents", given(&ch.AllowSpecimen, strconv.ParseBool))
	fs.Func("retention-days", "retention in days, 1..28 (lowering it shortens existing sessions)", given(&ch.RetentionDays, atoi))
	fs.Func("minimum-age", "minimum age of the document holder, 0 for none", given(&ch.MinimumAge, atoi))
	fs.Func("webhook-payload", "thin or full", given(&ch.WebhookPayload, text))
	fs.BoolFunc("redacted-copy", "keep a redacted document copy", given(&ch.RedactedCopy, strconv.ParseBool))
	fs.Func("minors", "holders under 16: review (parental consent required) or decline", given(&ch.Minors, text))
	fs.Func("max-attempts", "attempts a person gets (retakes after a fixable reason), 1..5", given(&ch.MaxAttempts, atoi))
	fs.Func("bsn-legal-basis", "the law that allows processing the BSN (needed for the field bsn); empty clears", given(&ch.BSNLegalBasis, text))
	fs.Func("purpose", "what the verification is for, shown on the consent screen; empty clears", given(&ch.Purpose, text))
	fs.Func("controller-contact", "e-mail address or https URL the person reaches you at; empty clears", given(&ch.ControllerContact, text))
	fs.Func("privacy-notice-url", "your privacy notice (https), linked from the consent screen; empty clears", given(&ch.PrivacyNoticeURL, text))
	fs.Func("display-name", "the name the capture page's header shows; empty clears", given(&ch.DisplayName, text))
	fs.BoolFunc("light-challenge", "add the light challenge (screen colours reflected on the face) to the liveness check", given(&ch.LightChallenge, strconv.ParseBool))
	fs.Func("brand-colour", "#rrggbb for the capture page's buttons and links, at WCAG AA contrast; empty clears", given(&ch.BrandColour, text))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
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

// given is a flag.Func that parses the flag's value and points *dst at it,
// so that *dst is nil unless the flag was given.
func given[T any](dst **T, parse func(string) (T, error)) func(string) error {
	return func(v string) error {
		x, err := parse(v)
		if err != nil {
			return err
		}
		*dst = &x
		return nil
	}
}

// atoi reads a whole number as the flag package's int flags do (0x… too).
func atoi(v string) (int, error) {
	n, err := strconv.ParseInt(v, 0, strconv.IntSize)
	return int(n), err
}

func text(v string) (string, error) { return v, nil }

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
		{schemas.SettingLightChallenge, strconv.FormatBool(p.LightChallenge)},
		{schemas.SettingRetentionDays, strconv.Itoa(t.RetentionDays)},
		{schemas.SettingDocumentTypes, orAny(p.DocumentTypes)},
		{schemas.SettingIssuingStates, orAny(p.IssuingStates)},
		{schemas.SettingMinimumAge, strconv.Itoa(p.MinimumAge)},
		{schemas.SettingWebhookPayload, p.Payload()},
		{schemas.SettingRedactedCopy, strconv.FormatBool(p.RedactedCopy)},
		{schemas.SettingMinors, p.MinorsRule()},
		{schemas.SettingBSNLegalBasis, orNone(p.BSNLegalBasis)},
		{schemas.SettingMaxAttempts, strconv.Itoa(p.Attempts())},
		{schemas.SettingPurpose, orNone(p.Purpose)},
		{schemas.SettingControllerContact, orNone(p.ControllerContact)},
		{schemas.SettingPrivacyNoticeURL, orNone(p.PrivacyNoticeURL)},
		{schemas.SettingReturnURLs, list(p.ReturnURLs)},
		{schemas.SettingEmbedOrigins, list(p.EmbedOrigins)},
		{schemas.SettingDisplayName, orNone(p.DisplayName)},
		{schemas.SettingBrandColour, orNone(p.BrandColour)},
	} {
		fmt.Fprintf(w, "  %-16s %s\n", kv[0]+":", kv[1])
	}
}
