package doccheck

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/imagegate"
)

// chipInput is what the app sent of a document's chip, and the session's
// nonce for its active authentication.
type chipInput struct {
	files     []byte // EF.SOD and the data groups (capture chip)
	aa        []byte // the chip's answer to INTERNAL AUTHENTICATE (capture chip_aa); nil without
	challenge []byte // the session's chip_challenge; nil for sessions from before it
	mrz       string // the MRZ the app read optically
}

// checkChip runs passive authentication on the chip capture's files against
// the optical MRZ and keeps the DG2 portrait as evidence when passive
// authentication vouched for it. When the app sent the chip's answer to
// the session's own challenge, active authentication checks it with the
// DG15 key (an answer to anything else, or without a challenge, fails).
func (s *Stage) checkChip(reasons *idv.Reasons, ev *evidence, in chipInput, now time.Time) {
	f, err := chip.ParseFiles(in.files)
	if err != nil {
		reasons.Add(string(chip.ReasonSODMalformed))
		return
	}
	var aa *chip.ActiveAuthentication
	if in.aa != nil {
		aa = &chip.ActiveAuthentication{Challenge: in.challenge, Signature: in.aa}
	}
	r := s.chip.Verify(chip.Input{SOD: f.SOD, DataGroups: f.DataGroups, MRZ: in.mrz, AA: aa, At: now})
	for _, code := range r.Reasons {
		reasons.Add(string(code))
	}
	if r.Passive && r.Portrait != nil {
		if img, reason := imagegate.Decode(r.Portrait.Image, s.cfg.MaxPixels); reason == "" {
			ev.portrait = img
		}
	}
}
