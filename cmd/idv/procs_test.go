package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

// buildIDV builds the idv binary into a directory of the test's.
func buildIDV(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "idv")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one `idv worker STAGE` or `idv relay` process running against a
// system started with systemOptions.external; it can be killed with
// SIGKILL and started again on the same ops port.
type proc struct {
	t    testing.TB
	bin  string
	args []string
	env  []string
	ops  string // host:port of /metrics and /readyz
	logs string // the processes' stderr, appended on every start

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// newProc prepares args (e.g. "worker", "doccheck") with the system's
// configuration as IDV_… variables; start runs it.
func (s *system) newProc(t testing.TB, bin string, args ...string) *proc {
	t.Helper()
	ops := freeAddr(t)
	s3 := s3test.Gateway().ObjectsConfig(s.st.objects.Bucket())
	env := append(os.Environ(),
		"DATABASE_URL="+s.cfg.DatabaseURL, "IDV_DATABASE_URL="+s.cfg.DatabaseURL, "IDV_KEYSTORE_URL="+s.keysURL,
		"IDV_MASTER_KEY="+testMasterKey, "IDV_NATS_URL="+s.cfg.NATSURL, "IDV_OPS_ADDR="+ops,
		"IDV_S3_ENDPOINT="+s3.Endpoint, "IDV_S3_REGION="+s3.Region, "IDV_S3_ACCESS_KEY="+s3.AccessKey,
		"IDV_S3_SECRET_KEY="+s3.SecretKey, "IDV_S3_BUCKET="+s3.Bucket,
		"IDV_PUBLIC_URL="+s.apiURL, "IDV_WEBHOOK_ALLOW_PRIVATE=true", "IDV_WEBHOOK_RETRY_BASE=1s",
		"IDV_FACE_DIR="+s.cfg.FaceDir)
	name := strings.Join(args, "-")
	p := &proc{t: t, bin: bin, args: args, env: env, ops: ops, logs: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() { p.kill() })
	return p
}

// start runs the process and waits until its ops endpoint says ready.
func (p *proc) start() {
	p.t.Helper()
	if err := p.tryStart(); err != nil {
		p.t.Fatal(err)
	}
}

// tryStart is start, returning what went wrong (the process exited, or
// was not ready after two minutes) instead of failing the test.
func (p *proc) tryStart() error {
	logf, err := os.OpenFile(p.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.starts++
	p.mu.Unlock()

	err = awaitReady(context.Background(), p.ops, exited, 2*time.Minute)
	if errors.Is(err, errExitedAtStart) {
		p.mu.Lock()
		p.cmd = nil
		p.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("idv %s %w: %s", strings.Join(p.args, " "), err, p.tail())
	}
	return nil
}

// kill sends SIGKILL (no shutdown, no drain, no final ack) and waits for
// the process to be gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// terminate sends SIGTERM, as an orchestrator stopping a pod or rolling a
// deployment does, waits for the process to drain and exit, and returns
// how it ended: nil when it exited 0.
func (p *proc) terminate() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return errors.New("not running")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	<-exited
	if !cmd.ProcessState.Success() {
		return fmt.Errorf("exited: %s", cmd.ProcessState)
	}
	return nil
}

// pid is the running process's id, 0 when none runs.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// tail is the end of the process's log, for failure messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.logs)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// metric reads the sum of the series of name whose labels include every
// label=value of match from the process's /metrics.
func (p *proc) metric(name string, match ...string) (float64, error) {
	resp, err := http.Get("http://" + p.ops + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, m := range match {
			k, v, _ := strings.Cut(m, "=")
			if !strings.Contains(line, k+`="`+v+`"`) {
				continue lines
			}
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		sum, found = sum+f, true
	}
	if !found {
		return 0, fmt.Errorf("no series %s %v at %s", name, match, p.ops)
	}
	return sum, sc.Err()
}

// rssPeak is the process's peak resident set (VmHWM) in bytes.
func (p *proc) rssPeak() (int64, error) {
	pid := p.pid()
	if pid == 0 {
		return 0, fmt.Errorf("idv %s is not running", strings.Join(p.args, " "))
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// killer SIGKILLs the processes of a system again and again, each time
// when it is in the middle of work, and starts each again at once.
type killer struct {
	t     testing.TB
	procs map[string]*proc
	// landed counts, per target, the kills that hit a process while it
	// held a message (a stage's in-flight gauge above 0) or while the
	// outbox had rows to publish (the relay).
	landed map[string]int
	busy   map[string]func(*proc) bool
}

// killAll kills each target rounds times, in turn; a kill waits (up to
// a few seconds) for its target to be busy and is not counted otherwise.
// A target none of whose kills landed while busy (a fast handler, such as
// the decision's, is seldom caught in the act) is then watched for up to
// extraTries more windows and killed only when caught busy, so that every
// target is killed in the middle of work at least once. It stops early
// when ctx ends.
func (k *killer) killAll(ctx context.Context, targets []string, rounds int) {
	for r := 0; r < rounds && ctx.Err() == nil; r++ {
		for _, name := range targets {
			k.killOne(ctx, name, false)
		}
	}
	for _, name := range targets {
		for try := 0; try < extraTries && k.landed[name] == 0 && ctx.Err() == nil; try++ {
			k.killOne(ctx, name, true)
		}
	}
}

// extraTries bounds killAll's further watch of a target not yet caught
// busy: each try waits up to five seconds.
const extraTries = 12

// killOne waits up to five seconds for the target to be busy, then kills
// it and starts it again; onlyBusy leaves it alone if it never was.
func (k *killer) killOne(ctx context.Context, name string, onlyBusy bool) {
	p, busy := k.procs[name], k.busy[name]
	deadline := time.Now().Add(5 * time.Second)
	for !busy(p) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	caught := busy(p)
	if !caught && onlyBusy {
		return
	}
	p.kill()
	if caught {
		k.landed[name]++
	}
	p.start()
}

// inFlight reports a stage worker holding a message in its handler.
func inFlight(stage string) func(*proc) bool {
	return func(p *proc) bool {
		v, err := p.metric("idv_stage_in_flight", "stage="+stage)
		return err == nil && v > 0
	}
}

// freeAddr is a free loopback address for a process to listen on. The
// port is drawn below the kernel's ephemeral range (32768 and up on
// Linux), which the test's other listeners (port 0) and outgoing
// connections take theirs from: a port from that range, free when this
// looked, could be handed to one of them before the process binds it
// (seen: "address already in use" in TestRotationsUnderLoad).
func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
