// Package tlsconfig builds the TLS settings of IDV's listeners from a
// certificate and key in PEM files, re-read when they change so that a
// renewed certificate (a rotated Kubernetes Secret, a cron job) is served
// without a restart.
package tlsconfig

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Pair checks that a certificate and key setting are both set or both
// unset; certName and keyName are the settings' names, for the message.
func Pair(certName, certFile, keyName, keyFile string) error {
	if (certFile == "") != (keyFile == "") {
		return fmt.Errorf("%s and %s must be set together (PEM files of the certificate chain and its private key), or neither for plain HTTP", certName, keyName)
	}
	return nil
}

// Server returns a server configuration presenting the certificate in
// certFile (the chain, leaf first) with the key in keyFile. Both are read
// now, so that a wrong file stops start-up; later handshakes re-read them
// when either file's modification time or size changed. A renewal that
// does not load (half-written, a key that does not match) keeps the
// previous certificate and is tried again at the next handshake.
func Server(certFile, keyFile string) (*tls.Config, error) {
	r := &reloader{certFile: certFile, keyFile: keyFile}
	if _, err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.certificate() },
	}, nil
}

type stamp struct {
	mod  time.Time
	size int64
}

type reloader struct {
	certFile, keyFile string

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp [2]stamp
}

func (r *reloader) certificate() (*tls.Certificate, error) {
	cert, err := r.load()
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.cert != nil {
			return r.cert, nil
		}
		return nil, err
	}
	return cert, nil
}

// load returns the certificate, reading the files again if they changed.
func (r *reloader) load() (*tls.Certificate, error) {
	st, err := r.stamps()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil && st == r.stamp {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: certificate %s with key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.stamp = &cert, st
	return r.cert, nil
}

func (r *reloader) stamps() ([2]stamp, error) {
	var st [2]stamp
	var errs []error
	for i, name := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
			continue
		}
		st[i] = stamp{fi.ModTime(), fi.Size()}
	}
	return st, errors.Join(errs...)
}
