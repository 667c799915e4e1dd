package vault

import (
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// SealSecret seals a small secret the service must be able to use again, such
// as a tenant's webhook signing secret, with AES-256-GCM under a per-tenant
// key derived from the master key (HKDF-SHA256). The tenant and purpose are
// bound as associated data: the result opens only with the same pair. Unlike
// session keys, such secrets live as long as the master key; never seal
// personal data with them.
func (v *Vault) SealSecret(tenantID uuid.UUID, purpose string, secret []byte) ([]byte, error) {
	box, ad, err := v.secretBox(tenantID, purpose)
	if err != nil {
		return nil, fmt.Errorf("vault: seal secret: %w", err)
	}
	return box.Seal(nil, nil, secret, ad), nil
}

// OpenSecret opens what SealSecret sealed for the same tenant and purpose;
// anything else fails with ErrOpen.
func (v *Vault) OpenSecret(tenantID uuid.UUID, purpose string, sealed []byte) ([]byte, error) {
	box, ad, err := v.secretBox(tenantID, purpose)
	if err != nil {
		return nil, fmt.Errorf("vault: open secret: %w", err)
	}
	secret, err := box.Open(nil, nil, sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("vault: open secret %q: %w", purpose, ErrOpen)
	}
	return secret, nil
}

func (v *Vault) secretBox(tenantID uuid.UUID, purpose string) (box cipher.AEAD, ad []byte, err error) {
	if purpose == "" {
		return nil, nil, errors.New("empty purpose")
	}
	// A key per tenant: one tenant's derived key opens nothing of another's
	// even if associated data were ever dropped (docs/design.md invariant 5).
	box, err = v.master.subkey("idv/v1 secret " + tenantID.String())
	if err != nil {
		return nil, nil, err
	}
	return box, fmt.Appendf(nil, "idv/v1 secret %s %s", tenantID, purpose), nil
}
