package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/broker"
)

// workerReadyTimeout bounds how long a worker process may take to say it
// is ready: the face stages load their models first.
const workerReadyTimeout = 2 * time.Minute

// workerProc is one `idv worker all` process that idv loadgen -workers
// runs beside itself, as production runs its workers: its own connections
// to PostgreSQL, S3 and NATS, its own consumers of every stage.
type workerProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	ops    string // host:port of its /readyz
	log    string // its stderr and stdout
}

// workerEnv is the environment of a worker process for the system that
// startLocalIn started with cfg: its databases, master key, object store,
// broker and API, and opsAddr for its ops endpoints. The environment of
// this process comes first, so that settings such as IDV_DOCCHECK_QUALITY
// reach the worker; the ones set here win.
func workerEnv(cfg config, opsAddr string) ([]string, error) {
	master, err := devMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	env := os.Environ()
	for _, kv := range [][2]string{
		{"IDV_DATABASE_URL", cfg.DatabaseURL}, {"IDV_KEYSTORE_URL", cfg.KeyStoreURL},
		{"IDV_MASTER_KEY", base64.StdEncoding.EncodeToString(master[:])},
		{"IDV_S3_ENDPOINT", cfg.S3.Endpoint}, {"IDV_S3_REGION", cfg.S3.Region}, {"IDV_S3_ACCESS_KEY", cfg.S3.AccessKey},
		{"IDV_S3_SECRET_KEY", cfg.S3.SecretKey}, {"IDV_S3_BUCKET", cfg.S3.Bucket},
		{"IDV_NATS_URL", cfg.NATSURL}, {"IDV_NATS_NKEY_DIR", cfg.NATSKeyDir}, {"IDV_NATS_TLS_CA", cfg.NATSCAFile},
		{"IDV_NATS_TLS_CERT", cfg.NATSCertFile}, {"IDV_NATS_TLS_KEY", cfg.NATSKeyFile},
		{"IDV_PUBLIC_URL", cfg.PublicURL}, {"IDV_WEBHOOK_ALLOW_PRIVATE", "true"},
		{"IDV_DOCCHECK_IMAGE_CHECKS", strconv.FormatBool(cfg.DocImageChecks)},
		{"IDV_FACE_DIR", cfg.FaceDir}, {"IDV_OPS_ADDR", opsAddr}, {"IDV_LOG_FORMAT", "text"},
	} {
		env = append(env, kv[0]+"="+kv[1])
	}
	return env, nil
}

// startWorkers starts n `idv worker all` processes of the binary bin,
// each pinned with taskset to cpus (a list such as "0" or "0,1"; "" leaves
// them where the scheduler puts them), logging into dir, and waits until
// every one is ready. On error the ones started are stopped.
func startWorkers(ctx context.Context, bin string, n int, cpus string, cfg config, dir string) (_ []*workerProc, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("worker processes: %w", err)
	}
	var procs []*workerProc
	defer func() {
		if err != nil {
			stopWorkers(procs)
		}
	}()
	for i := range n {
		p, err := startWorker(bin, cpus, cfg, filepath.Join(dir, fmt.Sprintf("worker-%d.log", i+1)))
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		if err := p.waitReady(ctx); err != nil {
			return nil, err
		}
	}
	return procs, nil
}

// startWorker starts one worker process without waiting for it.
func startWorker(bin, cpus string, cfg config, logPath string) (*workerProc, error) {
	ops, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	env, err := workerEnv(cfg, ops)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("worker process: %w", err)
	}
	defer logf.Close()
	args := []string{bin, "worker", "all"}
	if cpus != "" {
		// taskset sets the affinity before idv starts, so every thread
		// inherits it and the Go runtime sizes GOMAXPROCS to it.
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("worker process %s: %w", strings.Join(args, " "), err)
	}
	p := &workerProc{cmd: cmd, exited: make(chan struct{}), ops: ops, log: logPath}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// waitReady waits until the process's /readyz answers 200, failing when
// it exits first or takes longer than workerReadyTimeout.
func (p *workerProc) waitReady(ctx context.Context) error {
	if err := awaitReady(ctx, p.ops, p.exited, workerReadyTimeout); err != nil {
		return fmt.Errorf("worker process %d %w: %s", p.cmd.Process.Pid, err, p.tail())
	}
	return nil
}

// errExitedAtStart: the process exited before it was ready.
var errExitedAtStart = errors.New("exited at start")

// awaitReady polls an idv process's /readyz at ops until it answers 200:
// errExitedAtStart when exited closes first, an error naming the timeout
// when that passes first.
func awaitReady(ctx context.Context, ops string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if resp, err := http.Get("http://" + ops + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errExitedAtStart
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tail is the end of the process's log, for error messages.
func (p *workerProc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stopWorkers asks each process to drain and exit (SIGTERM) and waits for
// them, killing one that has not exited after half a minute.
func stopWorkers(procs []*workerProc) {
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
}

// workerPIDs are the processes' ids, for the load generator's CPU meter.
func workerPIDs(procs []*workerProc) []int {
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.cmd.Process.Pid
	}
	return pids
}

// freeLoopbackAddr is a free loopback address for a worker's ops
// endpoints. The port is drawn below the kernel's ephemeral range (32768
// and up on Linux), from which this process's own listeners and outgoing
// connections take theirs, so none of them takes it before the worker
// binds it.
func freeLoopbackAddr() (string, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(20000+rand.IntN(12000)))
		if err != nil {
			continue // taken
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr, nil
	}
	return "", errors.New("worker process: no free port among 100 drawn in 20000-31999")
}

// cpuCount is how many cores a taskset list ("0", "0,1", "0-3") names.
func cpuCount(list string) (int, error) {
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("cpu list %q: %q is not a cpu number", list, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("cpu list %q: %q is not a range", list, part)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// streamLayout says how many NATS servers l runs and how the broker
// places stream IDV: its replicas and, on a cluster, its leader and how
// many followers are current. It waits a few seconds for a leader.
func (l *local) streamLayout(ctx context.Context) string {
	nodes := fmt.Sprintf("NATS %d node(s)", len(l.env.nats))
	js, err := l.env.broker.as(broker.RoleOperator)
	if err != nil {
		return nodes + ", stream not read: " + err.Error()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := streamInfo(ctx, js)
		switch {
		case err == nil && (info.Cluster == nil || info.Config.Replicas == 1):
			return fmt.Sprintf("%s, stream %s at R%d", nodes, broker.StreamName, info.Config.Replicas)
		case err == nil && info.Cluster.Leader != "":
			current := 0
			for _, p := range info.Cluster.Replicas {
				if p.Current {
					current++
				}
			}
			return fmt.Sprintf("%s, stream %s at R%d (leader %s, %d of %d followers current)", nodes, broker.StreamName,
				info.Config.Replicas, info.Cluster.Leader, current, len(info.Cluster.Replicas))
		case time.Now().After(deadline):
			return fmt.Sprintf("%s, stream %s: no leader after 10 s (%v)", nodes, broker.StreamName, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// streamInfo reads stream IDV's info within two seconds.
func streamInfo(ctx context.Context, js jetstream.JetStream) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, broker.StreamName)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", broker.StreamName, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", broker.StreamName, err)
	}
	return info, nil
}
