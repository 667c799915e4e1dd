package loadgen

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
)

func TestBoundPrint(t *testing.T) {
	b := Bound{Cores: 2, Engines: []EngineCost{{"document check", 250 * time.Millisecond},
		{"face match", 150 * time.Millisecond}, {"liveness", 400 * time.Millisecond}}}
	if b.Per() != 800*time.Millisecond || b.Rate() != 2.5 {
		t.Fatalf("per %v, rate %v; want 800ms, 2.5/s", b.Per(), b.Rate())
	}
	var out strings.Builder
	b.Print(&out, 1.25)
	want := "bare engines: 800 ms per verification (document check 250 + face match 150 + liveness 400 ms, on the same decoded images, one core); bound on 2 cores 2.50/s; measured 1.25/s = 50 % of the bound\n"
	if out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.AtOnce = time.Second // the cores slow each other: 2 cores at 1 s each
	if b.Rate() != 2 {
		t.Fatalf("rate with the cores at once %v; want 2/s", b.Rate())
	}
	b.Print(&out, 1.5)
	want = "bare engines: 800 ms per verification (document check 250 + face match 150 + liveness 400 ms, on the same decoded images, one core); 1000 ms with all 2 cores running them at once (2.50/s by one core's time); bound on 2 cores 2.00/s; measured 1.50/s = 75 % of the bound\n"
	if out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.PrintOutside(&out, 1300*time.Millisecond, -1) // neither decoding nor PostgreSQL measured
	want = "outside the engines: 300 ms of CPU per verification (every process's 1300 ms less the engines' 1000 ms) = 30 % of the engines' work\n"
	if out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.Decode = 75500 * time.Microsecond
	b.PrintOutside(&out, 1300*time.Millisecond, 24.5)
	want += "  of it: decoding the captures 75.5 ms (each once, one core) + PostgreSQL 24.5 ms = 10 % of the engines' work\n"
	if out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.PrintOutside(&out, 1300*time.Millisecond, -1)
	want = "outside the engines: 300 ms of CPU per verification (every process's 1300 ms less the engines' 1000 ms) = 30 % of the engines' work\n" +
		"  of it: decoding the captures 75.5 ms (each once, one core) = 8 % of the engines' work\n"
	if out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.AtOnce, b.Decode = 0, 0 // one core's time, where the cores at once were not timed
	b.PrintOutside(&out, 880*time.Millisecond, -1)
	if want := "outside the engines: 80 ms of CPU per verification (every process's 880 ms less the engines' 800 ms) = 10 % of the engines' work\n"; out.String() != want {
		t.Errorf("printed %q\nwant    %q", &out, want)
	}
	out.Reset()
	b.PrintOutside(&out, 0, 10) // the machine's CPU unread
	Bound{Cores: 2}.Print(&out, 1)
	if !strings.Contains(out.String(), "= 0 % of the bound") {
		t.Errorf("no engines: %q", &out)
	}
}

// TestRealBound: the bound of the real workload runs every engine a
// verification runs, each a measurable time, with the document check's
// gates passing and its MRZ read agreeing with the app's text, so that no
// engine is timed on a capture the system would refuse; without the image
// checks the document check is left out. With two cores it times the
// engines on both at once too; with one it does not. It times the
// captures' decoding, outside the engines, either way.
func TestRealBound(t *testing.T) {
	facetest.Engine(t) // skips, or fails under IDV_REQUIRE_FACE, without the models
	facetest.Photo(t, "grace_hopper.jpg")
	w, err := Real(os.Getenv("IDV_FACE_DIR"), os.Getenv("IDV_TEST_IMAGES"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, tc := range []struct {
		checks   *framecheck.Config
		liveness challenge.Config
		cores    int
		want     []string
	}{
		{&framecheck.Config{Gates: true}, challenge.Config{}, 2, []string{"document check", "face match", "liveness"}},
		{nil, challenge.Config{Passive: true}, 1, []string{"face match", "liveness"}},
	} {
		b, err := w.bound(tc.checks, tc.liveness, tc.cores)
		if err != nil {
			t.Fatal(err)
		}
		if b.Decode <= 0 {
			t.Errorf("the captures decoded in %v per verification", b.Decode)
		}
		if (b.AtOnce > 0) != (tc.cores > 1) {
			t.Errorf("%d cores: %v per verification with every core at once; want it timed only with more than one", tc.cores, b.AtOnce)
		}
		var names []string
		for _, e := range b.Engines {
			names = append(names, e.Name)
			if e.Per <= 0 {
				t.Errorf("%s: %v per verification", e.Name, e.Per)
			}
		}
		if strings.Join(names, ",") != strings.Join(tc.want, ",") || b.Rate() <= 0 {
			t.Errorf("engines %q, rate %v; want %q", names, b.Rate(), tc.want)
		}
		t.Logf("%+v", b)
	}
}
