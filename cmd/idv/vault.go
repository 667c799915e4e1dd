package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/idv-oss/idv/infra/vault"
)

const vaultUsage = `usage: idv vault rotate-master [--batch N]: re-seal every epoch key and webhook secret under IDV_MASTER_KEY
       idv vault rotate-signing [--purpose receipt]: sign from now on with a new key of the purpose; the old one stays listed
       idv vault keys: list the master key ids in use and the receipt signing keys`

// runVault administers the vault: `idv vault rotate-master` re-seals what
// older master keys (IDV_MASTER_KEYS_OLD) sealed under IDV_MASTER_KEY and
// prints counts; `idv vault rotate-signing` moves a purpose's signing key to
// its next generation; `idv vault keys` says what is sealed under which
// master key and lists the receipt keys (docs/operating.md, "Rotating the
// master key" and "Signing keys").
func runVault(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("vault", vaultUsage, args, stderr, "rotate-master", "rotate-signing", "keys")
	if err != nil {
		return err
	}
	batch := fs.Int("batch", vault.RotateBatch, "rows re-sealed per transaction (rotate-master)")
	purpose := fs.String("purpose", vault.PurposeReceipt, "the signing key to rotate (rotate-signing): "+strings.Join(vault.Purposes, ", "))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	opts, err := cfg.vaultOptions()
	if err != nil {
		return err
	}
	return withStack(ctx, cfg, "vault "+args[0], needDatabases, func(st *stack) error {
		master, err := cfg.masterKey()
		if err != nil {
			return err
		}
		v := vault.New(master, st.keys, opts...)
		switch args[0] {
		case "keys":
			return printVaultKeys(ctx, v, master, stdout)
		case "rotate-signing":
			r, err := v.RotateSigningKey(ctx, *purpose)
			if err != nil {
				return err
			}
			slog.InfoContext(ctx, "signing key rotated", "purpose", r.Purpose, "old_key_id", r.OldKeyID, "key_id", r.NewKeyID, "generation", r.Generation)
			fmt.Fprintf(stdout, "%s signing key rotated: %s signs from now on (generation %d); %s stays listed for verification\n",
				r.Purpose, r.NewKeyID, r.Generation, r.OldKeyID)
			return nil
		}
		// Record the signing keys' public halves first: once the old
		// master key is removed, nothing derives its receipt key any more.
		if err := v.RecordSigningKeys(ctx); err != nil {
			return err
		}
		epochs, err := v.RewrapEpochKeys(ctx, *batch)
		fmt.Fprintf(stdout, "epoch keys: %d re-sealed, %d stamped, %d destroyed meanwhile\n",
			epochs.Resealed, epochs.Stamped, epochs.Gone)
		if err != nil {
			return err
		}
		secrets, err := v.RewrapWebhookSecrets(ctx, st.db, *batch)
		fmt.Fprintf(stdout, "webhook secrets: %d re-sealed, %d already current, %d changed meanwhile\n",
			secrets.Resealed, secrets.Current, secrets.Gone)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "everything is sealed under master key %s; the old keys can be removed from IDV_MASTER_KEYS_OLD\n",
			vault.MasterKeyID(master))
		return nil
	})
}

func printVaultKeys(ctx context.Context, v *vault.Vault, master vault.MasterKey, stdout io.Writer) error {
	byKey, err := v.EpochKeysByMasterKey(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(byKey))
	for id := range byKey {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(stdout, "current master key %s\n", vault.MasterKeyID(master))
	for _, id := range ids {
		name := id
		if id == "" {
			name = "(not yet stamped)"
		}
		fmt.Fprintf(stdout, "live epoch keys under %s: %d\n", name, byKey[id])
	}
	keys, err := v.ReceiptKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		state := "old"
		if k.Current {
			state = "current"
		}
		fmt.Fprintf(stdout, "receipt key %s %s %s %s generation %d\n", k.KeyID, k.Algorithm, state,
			base64.StdEncoding.EncodeToString(k.PublicKey), k.Generation)
	}
	return nil
}
