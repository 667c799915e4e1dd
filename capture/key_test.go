package capture_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/seal"
)

// keyStore is a session store that has one wrapped key, or fails with err.
type keyStore struct{ err error }

func (s keyStore) Key(_ context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error) {
	return idv.WrappedKey{TenantID: tenantID, SessionID: id}, s.err
}

// unwrapper opens every key to sk, or fails with err.
type unwrapper struct {
	sk  *seal.SessionKey
	err error
}

func (u unwrapper) Unwrap(context.Context, idv.WrappedKey) (*seal.SessionKey, error) {
	return u.sk, u.err
}

// A key is gone when the session store no longer has it or its epoch is
// destroyed; any other failure is one to retry, and says which session.
func TestSessionKey(t *testing.T) {
	t.Parallel()
	priv, err := seal.KEM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tenant, session := uuid.New(), uuid.New()
	sk := seal.NewSessionKey(tenant, session, priv)
	down := errors.New("connection refused")
	for name, c := range map[string]struct {
		keys     keyStore
		vault    unwrapper
		gone     bool
		wantErr  error
		wantsKey bool
	}{
		"opens":           {vault: unwrapper{sk: sk}, wantsKey: true},
		"wiped":           {keys: keyStore{err: fmt.Errorf("store: %w", idv.ErrNotFound)}, gone: true, wantErr: idv.ErrNotFound},
		"epoch destroyed": {vault: unwrapper{err: fmt.Errorf("vault: %w", idv.ErrEpochDestroyed)}, gone: true, wantErr: idv.ErrEpochDestroyed},
		"store down":      {keys: keyStore{err: down}, wantErr: down},
		"vault down":      {vault: unwrapper{err: down}, wantErr: down},
		"altered key":     {vault: unwrapper{err: idv.ErrWrappedKey}, wantErr: idv.ErrWrappedKey},
	} {
		key, err := capture.SessionKey(context.Background(), c.keys, c.vault, tenant, session)
		if c.wantsKey != (key != nil) || (c.wantErr == nil) != (err == nil) {
			t.Errorf("%s: key %v, err %v", name, key, err)
			continue
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, c.wantErr) || errors.Is(err, capture.ErrKeyGone) != c.gone {
			t.Errorf("%s: %v: wraps %v %t, gone %t", name, err, c.wantErr, errors.Is(err, c.wantErr), c.gone)
		}
		if want := session.String(); !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v does not name session %s", name, err, want)
		}
	}
}
