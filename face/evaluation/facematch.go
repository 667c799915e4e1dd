package evaluation

import (
	"fmt"
	"image"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/progress"
)

// Embedder is what the face-match evaluation needs of the engine.
type Embedder interface {
	Detect(img image.Image) ([]face.Face, error)
	Embed(img image.Image, f face.Face) ([]float32, error)
}

// FaceMatch is the face-match evaluation over DIR/<identity>/<image>: every
// pair of images is scored as the facematch stage scores a document against
// a selfie (largest face, five-point alignment, cosine of embeddings).
// Pairs within an identity are genuine, across identities impostors.
type FaceMatch struct {
	Images    int
	Enrolled  int      // images whose face could be embedded
	Failed    []string // images without a usable face, with why
	Genuine   []float64
	Impostor  []float64
	Worst     string // the genuine pair with the lowest score
	Strongest string // the impostor pair with the highest score
}

// EvalFaceMatch scores every pair under dir. Faces narrower than
// minFacePixels are not compared, as in the stage. Progress goes to w
// (package progress: a line per identity off a terminal).
func EvalFaceMatch(e Embedder, dir string, minFacePixels float64, w io.Writer) (*FaceMatch, error) {
	ids, err := subdirs(dir)
	if err != nil {
		return nil, err
	}
	type sample struct {
		id, name string
		v        []float32
	}
	var samples []sample
	r := &FaceMatch{}
	m := progress.New(w)
	for _, id := range ids {
		files, err := images(filepath.Join(dir, id))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			r.Images++
			name := id + "/" + filepath.Base(f)
			v, why, err := embedFile(e, f, minFacePixels)
			if err != nil {
				return nil, err
			}
			if why != "" {
				r.Failed = append(r.Failed, name+": "+why)
				continue
			}
			samples = append(samples, sample{id, name, v})
			m.Frame("embedded %d images", len(samples))
		}
		m.Step("embedded %d images", len(samples))
	}
	m.Done()
	r.Enrolled = len(samples)
	worst, strongest := 2.0, -2.0
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			s := face.Cosine(samples[i].v, samples[j].v)
			pair := fmt.Sprintf("%s ~ %s (%.3f)", samples[i].name, samples[j].name, s)
			if samples[i].id == samples[j].id {
				r.Genuine = append(r.Genuine, s)
				if s < worst {
					worst, r.Worst = s, pair
				}
			} else {
				r.Impostor = append(r.Impostor, s)
				if s > strongest {
					strongest, r.Strongest = s, pair
				}
			}
		}
	}
	return r, nil
}

func embedFile(e Embedder, path string, minFacePixels float64) ([]float32, string, error) {
	img, err := loadImage(path)
	if err != nil {
		return nil, err.Error(), nil
	}
	faces, err := e.Detect(img)
	if err != nil {
		return nil, "", fmt.Errorf("evaluation: detect %s: %w", path, err)
	}
	if len(faces) == 0 {
		return nil, "no face", nil
	}
	f := face.Largest(faces)
	if f.Box.Width() < minFacePixels {
		return nil, fmt.Sprintf("face %.0f px wide, under %.0f", f.Box.Width(), minFacePixels), nil
	}
	v, err := e.Embed(img, f)
	if err != nil {
		return nil, "embed: " + err.Error(), nil
	}
	return v, "", nil
}

// Rates returns the false accept rate (impostor pairs scoring at or above
// threshold) and false reject rate (genuine pairs below it).
func (r *FaceMatch) Rates(threshold float64) (far, frr Rate) {
	far.Trials, frr.Trials = len(r.Impostor), len(r.Genuine)
	for _, s := range r.Impostor {
		if s >= threshold {
			far.Errors++
		}
	}
	for _, s := range r.Genuine {
		if s < threshold {
			frr.Errors++
		}
	}
	return far, frr
}

// Print writes the summary and the table of FAR and FRR per threshold.
func (r *FaceMatch) Print(w io.Writer, thresholds []float64) {
	fmt.Fprintf(w, "images %d, compared %d, genuine pairs %d, impostor pairs %d\n",
		r.Images, r.Enrolled, len(r.Genuine), len(r.Impostor))
	for _, f := range r.Failed {
		fmt.Fprintf(w, "not compared: %s\n", f)
	}
	if r.Worst != "" {
		fmt.Fprintf(w, "lowest genuine:   %s\n", r.Worst)
	}
	if r.Strongest != "" {
		fmt.Fprintf(w, "highest impostor: %s\n", r.Strongest)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "threshold\tFAR (impostor accepted)\tFRR (genuine rejected)")
	for _, t := range thresholds {
		far, frr := r.Rates(t)
		fmt.Fprintf(tw, "%.2f\t%s\t%s\n", t, far, frr)
	}
	tw.Flush()
}
