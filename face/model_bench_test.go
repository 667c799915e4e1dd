package face

import "testing"

// BenchmarkModel is each model's own cost: one ONNX Runtime run on an
// input of zeros, with no pre- or post-processing. The engine's Go work on
// a call is what a benchmark of that call measures beyond this.
func BenchmarkModel(b *testing.B) {
	e := setup(b, Config{})
	for _, m := range models {
		b.Run(m.name, func(b *testing.B) {
			n := int64(1)
			for _, d := range m.inputs[0].shape {
				n *= d
			}
			in := make([]float32, n)
			if _, err := e.run(m.name, in); err != nil {
				b.Fatal(err)
			}
			cpuLoop(b, func() {
				if _, err := e.run(m.name, in); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
