package schemas

import (
	"strings"
	"testing"
)

func TestProcessingRecordMarkdownRetentionDays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		days int
		want string
	}{
		{1, "\n1 day (never more than 28)."},
		{2, "\n2 days (never more than 28)."},
		{28, "\n28 days (never more than 28)."},
	} {
		r := ProcessingRecord{Retention: RecordRetention{Days: tc.days, MaxDays: 28}}
		if md := r.Markdown(); !strings.Contains(md, tc.want) {
			t.Errorf("retention %d: Markdown has no %q:\n%s", tc.days, tc.want, md)
		}
	}
}
