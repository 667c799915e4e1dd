package idv

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/idv-oss/idv/schemas"
)

// What a change of a tenant's policy changed, for its audit entry.

// PolicyDiff describes what changed from old to new for the audit log, in
// setting names and codes only (the policy holds no personal data):
// "changed" lists the settings, and each has <setting>_from and
// <setting>_to. A setting of free text or an address (the BSN's legal
// basis, the purpose, the controller contact, the privacy notice, the
// return URLs and embed origins, each list as one text) is
// given by its Fingerprint, as an audit entry holds ids and codes only;
// GET /v1/policy shows the text. It is empty when nothing changed.
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
	add(schemas.SettingBSNLegalBasis, Fingerprint(old.BSNLegalBasis), Fingerprint(new.BSNLegalBasis))
	add(schemas.SettingMaxAttempts, strconv.Itoa(old.Attempts()), strconv.Itoa(new.Attempts()))
	add(schemas.SettingLightChallenge, strconv.FormatBool(old.LightChallenge), strconv.FormatBool(new.LightChallenge))
	add(schemas.SettingPurpose, Fingerprint(old.Purpose), Fingerprint(new.Purpose))
	add(schemas.SettingControllerContact, Fingerprint(old.ControllerContact), Fingerprint(new.ControllerContact))
	add(schemas.SettingPrivacyNoticeURL, Fingerprint(old.PrivacyNoticeURL), Fingerprint(new.PrivacyNoticeURL))
	add(schemas.SettingReturnURLs, Fingerprint(list(old.ReturnURLs)), Fingerprint(list(new.ReturnURLs)))
	add(schemas.SettingEmbedOrigins, Fingerprint(list(old.EmbedOrigins)), Fingerprint(list(new.EmbedOrigins)))
	add(schemas.SettingDisplayName, Fingerprint(old.DisplayName), Fingerprint(new.DisplayName))
	add(schemas.SettingBrandColour, strings.TrimPrefix(old.BrandColour, "#"), strings.TrimPrefix(new.BrandColour, "#"))
	if len(changed) == 0 {
		return nil
	}
	d["changed"] = strings.Join(changed, ",")
	return d
}

// Fingerprint names a setting's text in the audit log, which holds codes
// only: "sha256:" and the first 16 hex digits of its SHA-256; "" for none.
// The same text always has the same fingerprint, so an auditor matches a
// change to the policy shown.
func Fingerprint(text string) string {
	if text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:8])
}
