// Package s3test gives tests of other packages a real S3 store: one embedded
// versitygw per test binary and a fresh bucket per test, unversioned
// (NewStore, as `idv dev` runs it) or with versioning enabled
// (NewVersionedStore, as an operator may run a bucket on S3).
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestUpload(t *testing.T) {
//		t.Parallel()
//		store := s3test.NewStore(t)
//		...
//	}
//
// The gateway runs in a child process (the test binary itself, re-executed
// by Main), not in the test process: versitygw's posix backend moves the
// working directory of the process it runs in, which would break relative
// paths such as testdata/ and the fuzz seed corpus. Call Main first thing in
// TestMain: the child runs TestMain too, up to Main, where it turns into the
// gateway.
//
// The gateway always runs with a versioning directory
// (versitygw.WithVersioning), so that any test can have a versioned
// bucket; a bucket keeps versions only once versioning is enabled on it, so
// NewStore's buckets behave as they would on a gateway without one.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw"
)

// childEnv carries, to the re-executed test binary, the directory it should
// serve; its presence is what makes Main act as the gateway.
const childEnv = "IDV_S3TEST_GATEWAY_DIR"

// gateway is the one gateway of this test binary, set by Main before any
// test runs and only read afterwards.
var gateway *versitygw.Gateway

// dir is the directory the gateway stores objects in (dir/BUCKET/KEY), set
// by Main with gateway.
var dir string

// Main is TestMain for packages that need S3: it starts one gateway in a
// temporary directory, runs the tests, stops the gateway, removes the
// directory and exits.
func Main(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(serve(dir))
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "idv-s3test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3test:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	objectsDir := filepath.Join(tmp, "objects")
	c, err := spawn(objectsDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3test:", err)
		return 1
	}
	gateway, dir = c.gateway, objectsDir
	code := m.Run()
	if err := c.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "s3test:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Gateway returns the test binary's gateway (nil unless Main runs). Its
// Close does nothing: Main owns the gateway.
func Gateway() *versitygw.Gateway { return gateway }

// Dir returns the directory the test binary's gateway stores objects in,
// one subdirectory per bucket ("" unless Main runs), for tests that look at
// what reaches the disk. Versioned buckets keep the versions that are not
// current in Gateway().VersionsDir, one subdirectory per bucket too.
func Dir() string { return dir }

// NewStore returns a Store on a new, empty bucket of its own, so tests can
// run in parallel without seeing each other's objects.
func NewStore(t testing.TB) *objects.Store {
	t.Helper()
	if gateway == nil {
		t.Fatal("s3test: no gateway: call s3test.Main(m) from TestMain")
	}
	store, err := objects.New(gateway.ObjectsConfig(bucketName(t.Name())))
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	// The gateway's shutdown at the end of Main waits up to 10 s for
	// kept-alive connections: close the store's when its test ends.
	t.Cleanup(store.CloseIdleConnections)
	if err := store.EnsureBucket(t.Context()); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return store
}

// bucketName makes a valid, unique bucket name that still says which test
// it belongs to, for whoever looks in the gateway's directory.
func bucketName(testName string) string {
	var b strings.Builder
	dash := true // no leading dash, no runs of dashes
	for _, r := range strings.ToLower(testName) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSuffix(b.String(), "-")
	if len(name) > 40 {
		name = strings.TrimSuffix(name[:40], "-")
	}
	if name != "" {
		name += "-"
	}
	return "t-" + name + strings.ToLower(rand.Text()[:10])
}

// child is the gateway process as seen from the test process.
type child struct {
	cmd     *exec.Cmd
	stdin   io.Closer // closing it tells the child to stop
	gateway *versitygw.Gateway
}

const (
	readyTimeout = time.Minute // generous: -race binaries start slowly
	stopTimeout  = 30 * time.Second
)

// spawn re-executes the test binary as the gateway and waits for its
// endpoint and credentials, which come over a pipe of their own (fd 3) so
// that nothing the gateway prints can be mistaken for them.
func spawn(dir string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find test binary: %w", err)
	}
	hsR, hsW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer hsR.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	// Keep the child's output away from stdout, which go test parses.
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{hsW}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		hsW.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		hsW.Close()
		return nil, fmt.Errorf("start gateway process: %w", err)
	}
	hsW.Close() // the child holds its own copy; EOF now means the child is gone
	c := &child{cmd: cmd, stdin: stdin}

	got := make(chan error, 1)
	var g versitygw.Gateway
	go func() { got <- json.NewDecoder(hsR).Decode(&g) }()
	select {
	case err = <-got:
	case <-time.After(readyTimeout):
		err = fmt.Errorf("no answer within %s", readyTimeout)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		werr := cmd.Wait()
		return nil, fmt.Errorf("gateway process did not start: %w", errors.Join(err, werr))
	}
	c.gateway = &g
	return c, nil
}

func (c *child) stop() error {
	c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("gateway process: %w", err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-done
		return fmt.Errorf("gateway process did not stop within %s; killed", stopTimeout)
	}
}

// serve is the child's side: run the gateway, report where it is, and stop
// when the test process closes stdin (or dies, which closes it too).
func serve(dir string) int {
	hs := os.NewFile(3, "s3test-handshake")
	g, err := versitygw.Start(context.Background(), dir, versitygw.WithVersioning())
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3test gateway:", err)
		return 1
	}
	if err := json.NewEncoder(hs).Encode(g); err != nil {
		fmt.Fprintln(os.Stderr, "s3test gateway: report address:", err)
		g.Close()
		return 1
	}
	hs.Close()
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := g.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "s3test gateway:", err)
		return 1
	}
	return 0
}
