package vault

import (
	"bytes"
	"context"
	"crypto/hpke"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/seal"
)

// sessionKeyAD binds a wrapped private key to its tenant, session and epoch:
// a wrapped key copied to another session, tenant or hour does not unwrap.
func sessionKeyAD(tenantID, sessionID uuid.UUID, epoch time.Time) []byte {
	return fmt.Appendf(nil, "idv/v1 session-key %s %s %s", tenantID, sessionID, epoch.Format(time.RFC3339))
}

// NewSessionKey generates a session's HPKE key pair and wraps its private key
// under the epoch key of the hour expiresAt falls in, creating that epoch key
// if needed. If the epoch was already destroyed it fails with
// ErrEpochDestroyed.
func (v *Vault) NewSessionKey(ctx context.Context, tenantID, sessionID uuid.UUID, expiresAt time.Time) (idv.WrappedKey, error) {
	if expiresAt.IsZero() {
		return idv.WrappedKey{}, fmt.Errorf("vault: new session key: zero expiry time")
	}
	epoch := idv.EpochOf(expiresAt)
	epochKey, err := v.epochKey(ctx, tenantID, epoch, true)
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: new session key: %w", err)
	}
	defer clear(epochKey)
	priv, err := seal.KEM().GenerateKey()
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: new session key: generate: %w", err)
	}
	wrapped, err := wrap(epochKey, priv, tenantID, sessionID, epoch)
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: new session key: %w", err)
	}
	return idv.WrappedKey{
		TenantID:  tenantID,
		SessionID: sessionID,
		Epoch:     epoch,
		PublicKey: priv.PublicKey().Bytes(),
		Wrapped:   wrapped,
	}, nil
}

// Unwrap opens a wrapped session key. It fails with ErrEpochDestroyed once
// the epoch key is gone, and with ErrWrappedKey if any field of k was altered.
func (v *Vault) Unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error) {
	sk, err := v.unwrap(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("vault: unwrap session key: %w", err)
	}
	return sk, nil
}

func (v *Vault) unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error) {
	epoch := idv.EpochOf(k.Epoch)
	epochKey, err := v.epochKey(ctx, k.TenantID, epoch, false)
	if err != nil {
		return nil, err
	}
	defer clear(epochKey)
	box, err := newAEAD(epochKey)
	if err != nil {
		return nil, err
	}
	seed, err := box.Open(nil, nil, k.Wrapped, sessionKeyAD(k.TenantID, k.SessionID, epoch))
	if err != nil {
		return nil, ErrWrappedKey
	}
	defer clear(seed)
	priv, err := seal.KEM().NewPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	// The public key is stored beside the wrapped one and handed to the app;
	// a mismatch means captures were sealed to a key this one cannot open.
	if !bytes.Equal(priv.PublicKey().Bytes(), k.PublicKey) {
		return nil, fmt.Errorf("%w: public key does not match the private key", ErrWrappedKey)
	}
	return seal.NewSessionKey(k.TenantID, k.SessionID, priv), nil
}

// Rewrap moves a session key to the epoch of newExpiresAt, which must not be
// later than its current epoch: when a session's retention is shortened, its
// key must die with the earlier hour. Once the caller has stored the returned
// key in place of k, destroying the old epoch no longer affects the session.
// The key pair stays the same, so captures already sealed still open.
func (v *Vault) Rewrap(ctx context.Context, k idv.WrappedKey, newExpiresAt time.Time) (idv.WrappedKey, error) {
	if newExpiresAt.IsZero() {
		return idv.WrappedKey{}, fmt.Errorf("vault: rewrap session key: zero expiry time")
	}
	oldEpoch, newEpoch := idv.EpochOf(k.Epoch), idv.EpochOf(newExpiresAt)
	if newEpoch.After(oldEpoch) {
		return idv.WrappedKey{}, fmt.Errorf("vault: rewrap session key: %w: %s after %s",
			ErrLaterEpoch, newEpoch.Format(time.RFC3339), oldEpoch.Format(time.RFC3339))
	}
	sk, err := v.unwrap(ctx, k)
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: rewrap session key: %w", err)
	}
	if newEpoch.Equal(oldEpoch) {
		return k, nil
	}
	epochKey, err := v.epochKey(ctx, k.TenantID, newEpoch, true)
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: rewrap session key: %w", err)
	}
	defer clear(epochKey)
	wrapped, err := wrap(epochKey, sk.PrivateKey(), k.TenantID, k.SessionID, newEpoch)
	if err != nil {
		return idv.WrappedKey{}, fmt.Errorf("vault: rewrap session key: %w", err)
	}
	return idv.WrappedKey{
		TenantID:  k.TenantID,
		SessionID: k.SessionID,
		Epoch:     newEpoch,
		PublicKey: bytes.Clone(k.PublicKey),
		Wrapped:   wrapped,
	}, nil
}

// wrap seals the private key's seed under the epoch key.
func wrap(epochKey []byte, priv hpke.PrivateKey, tenantID, sessionID uuid.UUID, epoch time.Time) ([]byte, error) {
	// Bytes returns the key's own seed slice, so copy before clearing.
	seedRef, err := priv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("serialise private key: %w", err)
	}
	if len(seedRef) != 32 {
		return nil, errors.New("serialise private key: unexpected length")
	}
	seed := bytes.Clone(seedRef)
	defer clear(seed)
	box, err := newAEAD(epochKey)
	if err != nil {
		return nil, err
	}
	return box.Seal(nil, nil, seed, sessionKeyAD(tenantID, sessionID, epoch)), nil
}
