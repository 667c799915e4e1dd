package idv_test

import (
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func validStage() idv.Stage {
	return idv.Stage{Name: "x", Consumes: []string{schemas.TypeSessionSubmitted}, MaxDeliver: 3,
		Backoff: idv.Backoff{Base: time.Second, Max: time.Minute}, Concurrency: 1, AckWait: time.Second, MaxAckPending: 1}
}

func TestStageValidate(t *testing.T) {
	t.Parallel()
	if err := validStage().Validate(); err != nil {
		t.Fatalf("valid stage: %v", err)
	}
	for name, change := range map[string]func(*idv.Stage){
		"no name":              func(s *idv.Stage) { s.Name = "" },
		"consumes nothing":     func(s *idv.Stage) { s.Consumes = nil },
		"empty event type":     func(s *idv.Stage) { s.Consumes = append(s.Consumes, "") },
		"unbounded MaxDeliver": func(s *idv.Stage) { s.MaxDeliver = 0 },
		"no AckWait":           func(s *idv.Stage) { s.AckWait = 0 },
		"no MaxAckPending":     func(s *idv.Stage) { s.MaxAckPending = 0 },
		"no handler":           func(s *idv.Stage) { s.Concurrency = 0 },
		"no backoff":           func(s *idv.Stage) { s.Backoff = idv.Backoff{} },
		"max below base":       func(s *idv.Stage) { s.Backoff.Max = s.Backoff.Base / 2 },
	} {
		s := validStage()
		change(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: %+v validates", name, s)
		}
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
