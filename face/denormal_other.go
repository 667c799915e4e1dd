//go:build !amd64

package face

// withoutDenormals runs f: on this architecture the engine leaves the
// floating-point environment as it is (see denormal_amd64.go).
func withoutDenormals(f func() error) error { return f() }
