package idv_test

import (
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func validStage() idv.Stage {
	return idv.Stage{Name: "x", Consumes: []string{schemas.TypeSessionSubmitted}, Retry: idv.Retry{MaxDeliver: 3,
		Backoff: idv.Backoff{Base: time.Second, Max: time.Minute}}, Concurrency: 1, AckWait: time.Second, MaxAckPending: 1}
}

func TestStageValidate(t *testing.T) {
	t.Parallel()
	if err := validStage().Validate(); err != nil {
		t.Fatalf("valid stage: %v", err)
	}
	for name, change := range map[string]func(*idv.Stage){
		"no name":                func(s *idv.Stage) { s.Name = "" },
		"consumes nothing":       func(s *idv.Stage) { s.Consumes = nil },
		"empty event type":       func(s *idv.Stage) { s.Consumes = append(s.Consumes, "") },
		"unbounded MaxDeliver":   func(s *idv.Stage) { s.MaxDeliver = 0 },
		"negative AckWait":       func(s *idv.Stage) { s.AckWait = -time.Second },
		"negative MaxAckPending": func(s *idv.Stage) { s.MaxAckPending = -1 },
		"negative Concurrency":   func(s *idv.Stage) { s.Concurrency = -1 },
		"no backoff":             func(s *idv.Stage) { s.Backoff = idv.Backoff{} },
		"max below base":         func(s *idv.Stage) { s.Backoff.Max = s.Backoff.Base / 2 },
	} {
		s := validStage()
		change(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: %+v validates", name, s)
		}
	}
}

// A stage that leaves Concurrency, AckWait and MaxAckPending zero gets the
// defaults;
// one that sets them keeps its own.
func TestStageDefaults(t *testing.T) {
	t.Parallel()
	s := validStage()
	s.Concurrency, s.AckWait, s.MaxAckPending = 0, 0, 0
	if err := s.Validate(); err != nil {
		t.Fatalf("stage with defaults: %v", err)
	}
	if d := s.WithDefaults(); d.Concurrency != idv.DefaultConcurrency || d.AckWait != idv.DefaultAckWait || d.MaxAckPending != idv.DefaultMaxAckPending {
		t.Errorf("defaults: Concurrency %d, AckWait %s, MaxAckPending %d", d.Concurrency, d.AckWait, d.MaxAckPending)
	}
	if d := validStage().WithDefaults(); d.Concurrency != 1 || d.AckWait != time.Second || d.MaxAckPending != 1 {
		t.Errorf("own values replaced: Concurrency %d, AckWait %s, MaxAckPending %d", d.Concurrency, d.AckWait, d.MaxAckPending)
	}
}

func TestStageSubjects(t *testing.T) {
	t.Parallel()
	s := validStage()
	s.Consumes = []string{schemas.TypeSessionDecided, schemas.TypeSessionDeleted}
	if got := s.Subjects(); !slices.Equal(got, []string{"idv.session.decided.>", "idv.session.deleted.>"}) {
		t.Errorf("Subjects() = %v", got)
	}
}
