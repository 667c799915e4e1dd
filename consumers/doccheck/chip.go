package doccheck

import (
	"time"

	"github.com/idv-oss/idv/consumers/capture"
	"github.com/idv-oss/idv/consumers/doccheck/chip"
)

// checkChip runs passive authentication on the chip capture's files against
// the optical MRZ and keeps the DG2 portrait as evidence when passive
// authentication vouched for it. Active authentication needs a
// server-issued challenge, which sessions do not carry yet, so it is not
// performed.
func (s *Stage) checkChip(reasons *reasonSet, ev *evidence, files []byte, mrzText string, now time.Time) {
	f, err := chip.ParseFiles(files)
	if err != nil {
		reasons.add(string(chip.ReasonSODMalformed))
		return
	}
	r := s.chip.Verify(chip.Input{SOD: f.SOD, DataGroups: f.DataGroups, MRZ: mrzText, At: now})
	for _, code := range r.Reasons {
		reasons.add(string(code))
	}
	if r.Passive && r.Portrait != nil {
		if img, reason := capture.DecodeImage(r.Portrait.Image, s.cfg.MaxPixels); reason == "" {
			ev.portrait = img
		}
	}
}
