package readeval

import (
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/idv-oss/idv/document/cardimage"
)

// Sample is one rendered, degraded MRZ with the text it shows.
type Sample struct {
	Lines []string
	Image image.Image
}

// mrzs returns the MRZs of n samples, cycling through TD1, TD2 and TD3,
// the same for a given seed whatever the degradation.
func mrzs(n int, seed uint64) [][]string {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([][]string, n)
	for i := range out {
		out[i] = RandomMRZ(rng, []int{30, 36, 44}[i%3])
	}
	return out
}

// Samples renders n cards and degrades them by d, the same for a given
// seed; sample i of every degradation shows the same MRZ.
func Samples(d Degradation, n int, seed uint64) ([]Sample, error) {
	out := make([]Sample, n)
	for i, lines := range mrzs(n, seed) {
		img, err := render(lines, i, seed, d.weight)
		if err != nil {
			return nil, err
		}
		if out[i], err = d.sample(img, lines, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// render draws sample i's card.
func render(lines []string, i int, seed uint64, weight int) (image.Image, error) {
	img, err := cardimage.Render(lines, cardimage.Options{Seed: seed + uint64(i), Weight: weight})
	if err != nil {
		return nil, fmt.Errorf("readeval: render sample %d: %w", i, err)
	}
	return img, nil
}

// sample degrades sample i's rendered card.
func (d Degradation) sample(img image.Image, lines []string, i int) (Sample, error) {
	deg, err := d.apply(img, card{index: uint64(i), lines: lines})
	if err != nil {
		return Sample{}, fmt.Errorf("readeval: %s sample %d: %w", d.Name, i, err)
	}
	return Sample{Lines: lines, Image: deg}, nil
}
