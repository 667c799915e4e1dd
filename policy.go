package idv

import (
	"strconv"
	"strings"

	"github.com/idv-oss/idv/schemas"
)

// What a change of a tenant's policy changed, for its audit entry.

// PolicyDiff describes what changed from old to new for the audit log, in
// setting names and codes only (the policy holds no personal data):
// "changed" lists the settings, and each has <setting>_from and
// <setting>_to. It is empty when nothing changed.
func PolicyDiff(old, new schemas.Policy) map[string]string {
	d := map[string]string{}
	var changed []string
	add := func(name, from, to string) {
		if from != to {
			changed = append(changed, name)
			d[name+"_from"], d[name+"_to"] = from, to
		}
	}
	list := func(v []string) string { return strings.Join(v, ",") }
	add(schemas.SettingFields, list(old.PersonalFields()), list(new.PersonalFields()))
	add(schemas.SettingDerivedClaims, list(old.Claims()), list(new.Claims()))
	add(schemas.SettingChecks, list(old.Checks), list(new.Checks))
	add(schemas.SettingSelfieFrames, strconv.Itoa(old.SelfieFrames), strconv.Itoa(new.SelfieFrames))
	add(schemas.SettingAllowSpecimen, strconv.FormatBool(old.AllowSpecimen), strconv.FormatBool(new.AllowSpecimen))
	add(schemas.SettingDocumentTypes, list(old.DocumentTypes), list(new.DocumentTypes))
	add(schemas.SettingIssuingStates, list(old.IssuingStates), list(new.IssuingStates))
	add(schemas.SettingMinimumAge, strconv.Itoa(old.MinimumAge), strconv.Itoa(new.MinimumAge))
	add(schemas.SettingWebhookPayload, old.Payload(), new.Payload())
	add(schemas.SettingRedactedCopy, strconv.FormatBool(old.RedactedCopy), strconv.FormatBool(new.RedactedCopy))
	add(schemas.SettingMinors, old.MinorsRule(), new.MinorsRule())
	add(schemas.SettingBSNLegalBasis, old.BSNLegalBasis, new.BSNLegalBasis)
	add(schemas.SettingMaxAttempts, strconv.Itoa(old.Attempts()), strconv.Itoa(new.Attempts()))
	if len(changed) == 0 {
		return nil
	}
	d["changed"] = strings.Join(changed, ",")
	return d
}
