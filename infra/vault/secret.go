package vault

import (
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/seal"
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

// OpenSecret opens what SealSecret sealed for the same tenant and purpose,
// under the current master key or an old one (WithOldMasterKeys); anything
// else fails with seal.ErrOpen.
func (v *Vault) OpenSecret(tenantID uuid.UUID, purpose string, sealed []byte) ([]byte, error) {
	secret, _, err := v.openSecret(tenantID, purpose, sealed)
	return secret, err
}

// openSecret is OpenSecret that also says whether the current master key
// sealed the secret.
func (v *Vault) openSecret(tenantID uuid.UUID, purpose string, sealed []byte) (secret []byte, current bool, err error) {
	if purpose == "" {
		return nil, false, errors.New("vault: open secret: empty purpose")
	}
	secret, i, ok, err := v.openRing(secretInfo(tenantID), sealed, secretAD(tenantID, purpose))
	if err != nil {
		return nil, false, fmt.Errorf("vault: open secret: %w", err)
	}
	if !ok {
		return nil, false, fmt.Errorf("vault: open secret %q: %w (under none of the master key ids %s)",
			purpose, seal.ErrOpen, v.ringIDs())
	}
	return secret, i == 0, nil
}

func (v *Vault) secretBox(tenantID uuid.UUID, purpose string) (box cipher.AEAD, ad []byte, err error) {
	if purpose == "" {
		return nil, nil, errors.New("empty purpose")
	}
	box, err = v.master.subkey(secretInfo(tenantID))
	if err != nil {
		return nil, nil, err
	}
	return box, secretAD(tenantID, purpose), nil
}

// secretInfo is the HKDF info of a tenant's secret key. A key per tenant:
// one tenant's derived key opens nothing of another's even if associated
// data were ever dropped (docs/design.md invariant 5).
func secretInfo(tenantID uuid.UUID) string { return "idv/v1 secret " + tenantID.String() }

func secretAD(tenantID uuid.UUID, purpose string) []byte {
	return fmt.Appendf(nil, "idv/v1 secret %s %s", tenantID, purpose)
}
