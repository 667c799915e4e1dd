package challenge

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/schemas"
)

// frame makes a measured frame: yaw, both eyes' closure, an embedding
// along axis id (frames of one person share it), and a thumbnail offset
// by pic (frames with the same pic are the same picture).
func frame(yaw, closed float64, id, pic int) Frame {
	emb := make([]float32, 4)
	emb[id%4] = 1
	emb[(id+1)%4] = 0.2
	thumb := make([]float32, 16)
	for i := range thumb {
		thumb[i] = float32(100 + 7*pic + i)
	}
	return Frame{Yaw: yaw, Eyes: face.Eyes{Left: closed, Right: closed}, Passive: 0.5, Embedding: emb, Thumbnail: thumb}
}

func TestJudge(t *testing.T) {
	leftBlink := schemas.Challenge{Steps: []string{schemas.StepTurnLeft, schemas.StepBlink}}
	blinkRight := schemas.Challenge{Steps: []string{schemas.StepBlink, schemas.StepTurnRight}}
	straight, left, right, blink := 2.0, -22.0, 21.0, 0.9
	for _, tc := range []struct {
		name   string
		ch     schemas.Challenge
		frames []Frame
		want   []string
	}{
		{"performed", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(left, 0, 0, 1), frame(straight, blink, 0, 2)}, nil},
		{"performed with frames between", blinkRight, []Frame{frame(straight, 0, 0, 0), frame(4, 0.1, 0, 1),
			frame(straight, blink, 0, 2), frame(8, 0, 0, 3), frame(right, 0, 0, 4)}, nil},
		{"wrong order", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(straight, blink, 0, 1), frame(left, 0, 0, 2)},
			[]string{ReasonWrongOrder}},
		{"wrong direction", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(right, 0, 0, 1), frame(straight, blink, 0, 2)},
			[]string{ReasonStepMissing}},
		{"turn too small", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(-12, 0, 0, 1), frame(straight, blink, 0, 2)},
			[]string{ReasonStepMissing}},
		{"one eye closed is no blink", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(left, 0, 0, 1),
			{Yaw: straight, Eyes: face.Eyes{Left: 0.9, Right: 0.1}, Passive: 0.5, Embedding: frame(0, 0, 0, 0).Embedding, Thumbnail: frame(0, 0, 0, 2).Thumbnail}},
			[]string{ReasonStepMissing}},
		{"starts turned", leftBlink, []Frame{frame(left, 0, 0, 0), frame(left, 0, 0, 1), frame(straight, blink, 0, 2)},
			[]string{ReasonStartMissing}},
		{"starts with eyes closed", leftBlink, []Frame{frame(straight, blink, 0, 0), frame(left, 0, 0, 1), frame(straight, blink, 0, 2)},
			[]string{ReasonStartMissing}},
		{"replayed still", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(straight, 0, 0, 0), frame(straight, 0, 0, 0)},
			[]string{ReasonStepMissing, ReasonReplayedFrames}},
		{"one frame sent twice", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(left, 0, 0, 1), frame(straight, blink, 0, 2), frame(left, 0, 0, 1)},
			[]string{ReasonReplayedFrames}},
		{"another person", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(left, 0, 2, 1), frame(straight, blink, 0, 2)},
			[]string{ReasonDifferentPerson}},
		{"too few frames", leftBlink, []Frame{frame(straight, 0, 0, 0), frame(left, 0, 0, 1)},
			[]string{ReasonStepMissing, ReasonInsufficientFrames}},
		{"no frames", leftBlink, nil, []string{ReasonInsufficientFrames}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(tc.frames, tc.ch, Config{})
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(v.Reasons, want) {
				t.Fatalf("reasons %v, want %v", v.Reasons, want)
			}
			if len(tc.frames) > 1 && (v.SamePerson == nil || v.Passive != 0.5) {
				t.Fatalf("verdict %+v: want a same-person score and the mean passive score", v)
			}
		})
	}
}
