// Package versitygw runs versitygw, an S3-compatible gateway, inside the
// process over a local directory: the object store of `idv dev` and of tests
// (through s3test). Production talks to a real store through infra/objects.
//
// Two properties of versitygw shape this package:
//
//   - It supports one gateway per process (package-level state), so Start
//     refuses a second gateway until the first is closed.
//   - Its posix backend resolves every object path against the process's
//     working directory: Start changes the working directory to dir and
//     Close changes it back. Resolve relative paths before calling Start.
//     (s3test runs its gateway in a child process for this reason.)
//
// The gateway serves versitygw's posix backend with two changes for IDV's
// TENANT/SESSION/… keys (store.go): a tenant's directory is never removed
// when its last object is (an upload beside that removal was refused with
// 409), and an unversioned bucket's version listing starts at the
// prefix's directory instead of walking the bucket.
//
// What the gateway does not do (see FACTS.md): it ignores SSE-C and stores
// bytes as sent, and it has no lifecycle rules. IDV stores only sealed
// captures, so neither matters for correctness. Bucket versioning it has
// only when started WithVersioning (tests use it to prove that deletes
// leave no version and no delete marker behind). It serves plain HTTP unless
// started WithTLS (tests use it to hold objects.Config.CAFile to a real
// store over HTTPS).
package versitygw

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
)

// Region is the region the gateway signs for.
const Region = "us-east-1"

// startTimeout bounds the wait for the gateway to answer when ctx has no
// deadline of its own.
const startTimeout = 30 * time.Second

// running guards the process-wide limits of versitygw (see the package
// comment). It is state about the process, not about any caller.
var running atomic.Bool

// Gateway is a running embedded gateway with its root credentials.
type Gateway struct {
	Endpoint  string // http://127.0.0.1:PORT, or https:// WithTLS
	Region    string
	AccessKey string
	SecretKey string
	// VersionsDir is where versioned buckets keep the versions that are
	// not current (VersionsDir/BUCKET/…); "" without WithVersioning.
	VersionsDir string

	backend   *store // what the gateway serves
	stop      context.CancelFunc
	done      chan struct{} // closed when the gateway has stopped
	runErr    error         // why it stopped; read only after done
	workDir   string        // working directory before Start
	closeOnce sync.Once
	closeErr  error
}

// Option changes how Start runs the gateway.
type Option func(*options)

type options struct {
	versioning   bool
	certPEM      []byte // with keyPEM: serve HTTPS (WithTLS)
	keyPEM       []byte
	forceSidecar bool // tests: the fallback for filesystems without xattrs
}

// WithVersioning lets buckets keep object versions, as S3 does once a
// client enables versioning on a bucket: the gateway gets a versioning
// directory next to dir (".NAME-versions", beside ".NAME-meta"), where
// versitygw's posix backend keeps the versions that are not current. Buckets
// stay unversioned until PutBucketVersioning enables it; without this
// option the gateway refuses that with VersioningNotConfigured. versitygw
// prints one line to stdout naming the directory when it starts.
func WithVersioning() Option { return func(o *options) { o.versioning = true } }

// WithTLS serves HTTPS instead of HTTP, presenting certPEM (the certificate
// chain, leaf first) with its private key keyPEM, and Endpoint becomes
// https://127.0.0.1:PORT. For clients to accept it the certificate must
// name the IP address 127.0.0.1, and they must trust the CA that signed it:
// set CAFile in the ObjectsConfig. versitygw loads certificates only from
// files, so the gateway writes both to a directory next to dir
// (".NAME-tls", 0700; files 0600), where they stay after Close.
func WithTLS(certPEM, keyPEM []byte) Option {
	return func(o *options) { o.certPEM, o.keyPEM = certPEM, keyPEM }
}

// Start runs a gateway storing objects under dir (created 0700 if missing;
// objects are files dir/BUCKET/KEY, written 0600) on a free loopback port
// with random root credentials, and returns once it answers requests. ctx
// bounds the start only; the gateway runs until Close.
func Start(ctx context.Context, dir string, opts ...Option) (*Gateway, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return start(ctx, dir, o)
}

func start(ctx context.Context, dir string, o options) (*Gateway, error) {
	if !running.CompareAndSwap(false, true) {
		return nil, errors.New("versitygw: a gateway already runs in this process; versitygw supports one")
	}
	g, err := startLocked(ctx, dir, o)
	if err != nil {
		running.Store(false)
		return nil, err
	}
	return g, nil
}

func startLocked(ctx context.Context, dir string, o options) (*Gateway, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("versitygw: directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("versitygw: create %s: %w", root, err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("versitygw: working directory: %w", err)
	}
	opts := posix.PosixOpts{}
	opts.SetNewDirPerm(0o700)
	opts.SetNewFilePerm(0o600)
	ms, err := metaStore(root, o.forceSidecar, &opts)
	if err != nil {
		return nil, err
	}
	var versions string
	if o.versioning {
		versions = siblingDir(root, "versions")
		if err := os.MkdirAll(versions, 0o700); err != nil {
			return nil, fmt.Errorf("versitygw: versioning directory: %w", err)
		}
		opts.VersioningDir = versions
	}
	var https *serving
	if o.certPEM != nil || o.keyPEM != nil {
		if https, err = writeCertificate(root, o.certPEM, o.keyPEM); err != nil {
			return nil, err
		}
	}
	access, secret := "IDV"+rand.Text()[:17], rand.Text()+rand.Text()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	// The port is reserved by binding and releasing it, so another process
	// can take it in between; try again on a fresh port when that happens.
	for attempt := 1; ; attempt++ {
		g, err := launch(ctx, root, ms, opts, https, access, secret)
		if err == nil {
			g.workDir, g.VersionsDir = wd, versions
			return g, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 3 {
			_ = os.Chdir(wd) // posix.New moved us into root
			return nil, err
		}
	}
}

// metaStore picks where object metadata (content type, ETag, ACLs) lives:
// in extended attributes where the filesystem has them (ext4, xfs, btrfs,
// tmpfs since Linux 6.6), otherwise in a sidecar directory next to root.
func metaStore(root string, forceSidecar bool, opts *posix.PosixOpts) (meta.MetadataStorer, error) {
	if !forceSidecar && (meta.XattrMeta{}).Test(root) == nil {
		return meta.XattrMeta{}, nil
	}
	side := siblingDir(root, "meta")
	if err := os.MkdirAll(side, 0o700); err != nil {
		return nil, fmt.Errorf("versitygw: metadata directory: %w", err)
	}
	sc, err := meta.NewSideCar(side)
	if err != nil {
		return nil, fmt.Errorf("versitygw: metadata directory %s: %w", side, err)
	}
	opts.SideCarDir = side
	return sc, nil
}

// siblingDir names a directory of the gateway's own next to root:
// ".NAME-what" for root ".../NAME". posix refuses a sidecar whose path merely
// starts with root's (a string prefix test), so "objects.meta" next to
// "objects" would not do, and a dot keeps it out of sight.
func siblingDir(root, what string) string {
	return filepath.Join(filepath.Dir(root), "."+filepath.Base(root)+"-"+what)
}

// serving is the certificate of a gateway started WithTLS: the files
// versitygw loads it from, and the leaf it presents.
type serving struct {
	certFile, keyFile string
	leaf              []byte // DER
}

// writeCertificate checks that certPEM and keyPEM are a certificate and its
// key, and writes them where versitygw can load them. The paths are
// absolute: versitygw loads them after posix.New has moved the working
// directory.
func writeCertificate(root string, certPEM, keyPEM []byte) (*serving, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("versitygw: TLS certificate: %w", err)
	}
	dir := siblingDir(root, "tls")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("versitygw: TLS directory: %w", err)
	}
	s := &serving{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), leaf: pair.Certificate[0]}
	if err := errors.Join(os.WriteFile(s.certFile, certPEM, 0o600), os.WriteFile(s.keyFile, keyPEM, 0o600)); err != nil {
		return nil, fmt.Errorf("versitygw: TLS directory: %w", err)
	}
	return s, nil
}

func launch(ctx context.Context, root string, ms meta.MetadataStorer, opts posix.PosixOpts, https *serving, access, secret string) (*Gateway, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	px, err := posix.New(root, ms, opts)
	if err != nil {
		return nil, fmt.Errorf("versitygw: posix backend on %s: %w", root, err)
	}
	be := &store{Posix: px, root: root, versioning: opts.VersioningDir != ""}
	// A path no bucket can have (bucket names never start with "_"), random
	// so that only this gateway answers it: proof that the port is ours.
	health := "/_idv-ready-" + rand.Text()
	cfg := &embedgw.Config{
		RootUserAccess:    access,
		RootUserSecret:    secret,
		Region:            Region,
		Ports:             []string{addr},
		MaxConnections:    10000,
		MaxRequests:       5000,
		MultipartMaxParts: 10000,
		HealthPath:        health,
		KeepAlive:         true,
		Quiet:             true,
	}
	scheme := "http://"
	if https != nil {
		cfg.CertFile, cfg.KeyFile = https.certFile, https.keyFile
		scheme = "https://"
	}
	// The single-account IAM that versitygw would pick by itself, minus the
	// line it prints to stdout when it does.
	cfg.IAMService = auth.NewIAMServiceSingle(cfg.IamOpts().RootAccount)
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	g := &Gateway{
		Endpoint:  scheme + addr,
		Region:    Region,
		AccessKey: access,
		SecretKey: secret,
		backend:   be,
		stop:      stop,
		done:      make(chan struct{}),
	}
	go func() {
		defer close(g.done)
		g.runErr = embedgw.RunVersityGW(runCtx, be, cfg)
	}()
	if err := g.waitReady(ctx, g.Endpoint+health, https); err != nil {
		stop()
		<-g.done
		return nil, err
	}
	return g, nil
}

func (g *Gateway) waitReady(ctx context.Context, url string, https *serving) error {
	transport := &http.Transport{DisableKeepAlives: true}
	if https != nil {
		// The gateway does not know the CA that signed its certificate, so
		// the probe pins the certificate itself instead.
		transport.TLSClientConfig = &tls.Config{
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, https.leaf) {
					return errors.New("not the gateway's certificate")
				}
				return nil
			},
		}
	}
	client := &http.Client{Timeout: time.Second, Transport: transport}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("versitygw: readiness probe: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-g.done:
			return fmt.Errorf("versitygw: gateway stopped while starting: %w", g.runErr)
		case <-ctx.Done():
			return fmt.Errorf("versitygw: gateway at %s did not answer: %w", g.Endpoint, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("versitygw: reserve a loopback port: %w", err)
	}
	defer ln.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)), nil
}

// Close stops the gateway, waits for it, restores the working directory and
// frees the process's one gateway slot. Closing twice is harmless; closing a
// Gateway value that Start did not return (as s3test hands out) does nothing.
func (g *Gateway) Close() error {
	if g == nil || g.stop == nil {
		return nil
	}
	g.closeOnce.Do(func() {
		g.stop()
		<-g.done
		if g.runErr != nil && !errors.Is(g.runErr, context.Canceled) {
			g.closeErr = fmt.Errorf("versitygw: gateway: %w", g.runErr)
		}
		if err := os.Chdir(g.workDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			g.closeErr = errors.Join(g.closeErr, fmt.Errorf("versitygw: restore working directory: %w", err))
		}
		running.Store(false)
	})
	return g.closeErr
}

// ObjectsConfig is the configuration of an objects.Store on bucket in this
// gateway. For a gateway started WithTLS, set CAFile to the CA that signed
// its certificate.
func (g *Gateway) ObjectsConfig(bucket string) objects.Config {
	return objects.Config{
		Endpoint:  g.Endpoint,
		Region:    g.Region,
		AccessKey: g.AccessKey,
		SecretKey: g.SecretKey,
		Bucket:    bucket,
	}
}
