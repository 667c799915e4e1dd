package schemas

import "testing"

func TestLightSequenceValidate(t *testing.T) {
	good := LightSequence{Frames: LightFrames, Sequence: []LightSegment{
		{LightBaseline, 800}, {"#3366ff", 700}, {"#ffcc33", 600}, {"#33cc66", 900}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if good.Start(2) != 1500 || good.Duration() != 3000 || good.SegmentAt(0) != 0 || good.SegmentAt(799) != 0 ||
		good.SegmentAt(800) != 1 || good.SegmentAt(2999) != 3 || good.SegmentAt(3000) != -1 || good.SegmentAt(-1) != -1 {
		t.Fatalf("timeline of %+v", good)
	}
	bad := map[string]func(l *LightSequence){
		"baseline not first": func(l *LightSequence) { l.Sequence[0].Colour = "#3366ff"; l.Sequence[1].Colour = "#33cc66" },
		"neighbours alike":   func(l *LightSequence) { l.Sequence[2].Colour = "#3366ff" },
		"saturated red":      func(l *LightSequence) { l.Sequence[1].Colour = "#ff0000" },
		"too short":          func(l *LightSequence) { l.Sequence[1].Ms = 599 },
		"too long":           func(l *LightSequence) { l.Sequence[3].Ms = 901 },
		"three segments":     func(l *LightSequence) { l.Sequence = l.Sequence[:3] },
		"frames":             func(l *LightSequence) { l.Frames = 6 },
		"upper-case":         func(l *LightSequence) { l.Sequence[1].Colour = "#3366FF" },
	}
	for name, spoil := range bad {
		l := good
		l.Sequence = append([]LightSegment(nil), good.Sequence...)
		spoil(&l)
		if l.Validate() == nil {
			t.Errorf("%s: %+v accepted", name, l)
		}
	}
}

func TestRGB(t *testing.T) {
	c, err := RGB("#3366ff")
	if err != nil || c != [3]float64{0x33, 0x66, 0xff} {
		t.Fatalf("RGB = %v, %v", c, err)
	}
	if _, err := RGB("#36f"); err == nil {
		t.Fatal("short colour accepted")
	}
}
