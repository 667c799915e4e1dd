package main

import (
	"testing"

	captures "github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/face/selfie"
)

// TestShareAmong: a process shares selfie analyses only when it runs both
// face stages, and decodes only when it also runs the document check: a
// capture shared with a stage of another process would be kept here,
// unread, until the hold.
func TestShareAmong(t *testing.T) {
	for _, tc := range []struct {
		stages            []string
		decodes, analyses bool
	}{
		{stageNames(pipeline), true, true},
		{[]string{"doccheck", "facematch", "liveness"}, true, true},
		{[]string{"facematch", "liveness"}, false, true},
		{[]string{"doccheck", "facematch"}, false, false},
		{[]string{"facematch"}, false, false},
		{[]string{"decision", "notify", "wipe"}, false, false},
	} {
		st := &stack{decodes: captures.NewDecodes(captures.DecodesConfig{}), analyses: selfie.NewAnalyses(selfie.AnalysesConfig{})}
		st.shareAmong(tc.stages)
		if (st.decodes != nil) != tc.decodes || (st.analyses != nil) != tc.analyses {
			t.Errorf("stages %v: decodes shared %v, analyses %v; want %v and %v", tc.stages, st.decodes != nil, st.analyses != nil, tc.decodes, tc.analyses)
		}
	}
}
