package broker_test

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/broker"
)

func TestCheckServerVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		version string
		tooOld  bool
		bad     bool // not a version
	}{
		{version: "2.9.10", tooOld: true}, // Debian 12's nats-server
		{version: "2.9.25", tooOld: true},
		{version: "1.4.1", tooOld: true},
		{version: "2.10.0-beta.56", tooOld: true}, // a pre-release precedes its release
		{version: "2.10.0"},
		{version: "2.10.22"},
		{version: "v2.11.0-RC.1"},
		{version: "2.15.2"},
		{version: "3.0.0"},
		{version: "2.10.0+build.7"},
		{version: "", bad: true},
		{version: "2.10", bad: true},
		{version: "two.ten.zero", bad: true},
		{version: "2.-1.0", bad: true},
		{version: "2.10.0-", bad: true},
	} {
		err := broker.CheckServerVersion(tt.version)
		switch {
		case tt.bad:
			if err == nil || errors.Is(err, broker.ErrServerTooOld) || !strings.Contains(err.Error(), "cannot tell the nats-server's version") {
				t.Errorf("%q: %v, want an unreadable version refused", tt.version, err)
			}
		case tt.tooOld:
			if !errors.Is(err, broker.ErrServerTooOld) {
				t.Errorf("%q: %v, want too old", tt.version, err)
			}
		case err != nil:
			t.Errorf("%q: %v, want accepted", tt.version, err)
		}
	}
}

// fakeServer is a connection as the version check sees it.
type fakeServer string

func (f fakeServer) ConnectedServerVersion() string { return string(f) }

// The refusal says what was found, what is needed, why and where to read
// more.
func TestCheckServerSaysWhatToDo(t *testing.T) {
	t.Parallel()
	err := broker.CheckServer(fakeServer("2.9.10"))
	for _, want := range []string{"nats-server too old: 2.9.10", "IDV needs 2.10.0 or later", "several filter subjects", "upgrade", "docs/operating.md"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if err := broker.CheckServer(fakeServer("2.10.0")); err != nil {
		t.Errorf("2.10.0: %v", err)
	}
}

// The embedded server (the one go.mod pins) is recent enough: Connect,
// which checks, connects to it.
func TestEmbeddedServerIsRecentEnough(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if err := broker.CheckServer(f.nc); err != nil {
		t.Fatalf("embedded nats-server %s: %v", f.nc.ConnectedServerVersion(), err)
	}
}

// With a nats-server older than MinServerVersion on PATH (Debian 12's
// package is 2.9.10), Connect refuses it at connect with the version in
// the message, before anything is declared. Skipped without one.
func TestConnectRefusesOldServer(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("no nats-server on PATH: the refusal of a real old server is not tried here (TestCheckServerSaysWhatToDo covers its text)")
	}
	out, err := exec.Command(bin, "--version").Output()
	m := regexp.MustCompile(`v?(\d+\.\d+\.\d+\S*)`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Skipf("%s --version: %v %q", bin, err, out)
	}
	if broker.CheckServerVersion(m[1]) == nil {
		t.Skipf("%s is %s, not older than %s", bin, m[1], broker.MinServerVersion)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	nc, _, err := broker.Connect(ctx, "nats://127.0.0.1:"+strconv.Itoa(port), t.Name())
	if err == nil {
		nc.Close()
		t.Fatalf("nats-server %s accepted", m[1])
	}
	if !errors.Is(err, broker.ErrServerTooOld) || !strings.Contains(err.Error(), "too old: "+m[1]) {
		t.Fatalf("nats-server %s: %v, want it refused as too old", m[1], err)
	}
	t.Logf("refused: %v", err)
}
