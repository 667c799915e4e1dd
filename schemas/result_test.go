package schemas_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idv-oss/idv/schemas"
)

// TestCheckResultNamesItsScore: a result with a score carries the name of
// its check's score, one without carries null, and a name set by hand
// cannot contradict the check (issue 22 point 6).
func TestCheckResultNamesItsScore(t *testing.T) {
	t.Parallel()
	score := 0.8
	wrong := "something_else"
	tests := []struct {
		r    schemas.CheckResult
		want any
	}{
		{schemas.CheckResult{Check: schemas.CheckFace, Score: &score}, schemas.ScoreFaceMinCosine},
		{schemas.CheckResult{Check: schemas.CheckLiveness, Score: &score, ScoreName: &wrong}, schemas.ScoreLivenessSamePerson},
		{schemas.CheckResult{Check: schemas.CheckLiveness}, nil},
		{schemas.CheckResult{Check: schemas.CheckDocument}, nil},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.r)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if name, ok := got["score_name"]; !ok || name != tt.want {
			t.Errorf("%s, score %v: score_name %v (present %v), want %v", tt.r.Check, tt.r.Score, name, ok, tt.want)
		}
		if _, ok := got["score"]; !ok {
			t.Errorf("%s: score left out: %s", tt.r.Check, b)
		}
	}
}

// TestScoreNamesInTheContract: openapi.yaml's CheckResult.score_name
// lists exactly the names the code gives, and each check with a score has
// one.
func TestScoreNamesInTheContract(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(schemas.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var contract []string
	for _, v := range doc.Components.Schemas["CheckResult"].Value.Properties["score_name"].Value.Enum {
		if s, ok := v.(string); ok {
			contract = append(contract, s)
		}
	}
	var code []string
	for _, name := range schemas.ScoreNames {
		code = append(code, name)
	}
	slices.Sort(contract)
	slices.Sort(code)
	if !slices.Equal(contract, code) {
		t.Errorf("score_name: openapi.yaml %v, code %v", contract, code)
	}
	for _, check := range []string{schemas.CheckFace, schemas.CheckLiveness} {
		if schemas.ScoreName(check) == "" {
			t.Errorf("check %s scores but its score has no name", check)
		}
	}
}
