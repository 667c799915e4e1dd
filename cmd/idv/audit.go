package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
)

const auditUsage = "usage: idv audit verify --tenant ID [--checkpoint FILE]"

// runAudit verifies a tenant's audit chain: `idv audit verify --tenant ID`
// prints how many entries verified and OK, or the first entry that does not
// and fails. With --checkpoint FILE (a signed audit checkpoint the tenant
// kept: {"statement","signature","key_id"}, as the API, the webhook and the
// archive hand them out) it also checks the checkpoint's signature with the
// audit keys and that the chain still holds the entry it names, with its
// hash: a chain rewritten and re-hashed, or cut short, passes the first
// check and fails this one.
func runAudit(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("audit", auditUsage, args, stderr, "verify")
	if err != nil {
		return err
	}
	id := fs.String("tenant", "", "tenant id (required)")
	file := fs.String("checkpoint", "", "a signed audit checkpoint to check the chain against")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
	var cp *idv.SignedCheckpoint
	need := needMainDB
	if *file != "" {
		if cp, err = readCheckpoint(*file); err != nil {
			return err
		}
		need = needDatabases // the audit keys: the master key and the key store
	}
	return withStack(ctx, cfg, "audit verify", need, func(st *stack) error {
		audit := postgres.NewAudit(st.db)
		n, err := audit.Verify(ctx, tenantID)
		var brk *idv.AuditBreak
		if errors.As(err, &brk) {
			fmt.Fprintf(stdout, "tenant %s: audit log BROKEN at seq %d (%d entries before it verified): %s\n",
				tenantID, brk.Seq, n, brk.Reason)
			return fmt.Errorf("audit log of tenant %s broken at seq %d", tenantID, brk.Seq)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tenant %s: %d audit entries, chain OK\n", tenantID, n)
		if cp == nil {
			return nil
		}
		return checkCheckpoint(ctx, st.vault, audit, tenantID, *cp, stdout)
	})
}

// readCheckpoint reads a signed checkpoint file.
func readCheckpoint(path string) (*idv.SignedCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint: %w", err)
	}
	var cp idv.SignedCheckpoint
	if err := json.Unmarshal(b, &cp); err != nil || len(cp.Statement) == 0 || len(cp.Signature) == 0 || cp.KeyID == "" {
		return nil, fmt.Errorf("--checkpoint %s: not a signed checkpoint (want JSON with statement, signature and key_id, as GET /v1/audit-events gives in checkpoint): %v", path, err)
	}
	return &cp, nil
}

// checkCheckpoint verifies cp with the audit keys and the chain against it.
func checkCheckpoint(ctx context.Context, v *vault.Vault, audit *postgres.Audit, tenantID uuid.UUID, cp idv.SignedCheckpoint, stdout io.Writer) error {
	keys, err := v.VerifyKeys(ctx, vault.PurposeAudit)
	if err != nil {
		return err
	}
	c, err := idv.OpenCheckpoint(keys, cp)
	if err != nil {
		return err
	}
	if c.TenantID != tenantID.String() {
		return fmt.Errorf("the checkpoint is tenant %s's, not %s's", c.TenantID, tenantID)
	}
	hash, found, err := audit.Entry(ctx, tenantID, c.Seq)
	if err != nil {
		return err
	}
	if err := idv.CheckAgainst(c, found, hash); err != nil {
		fmt.Fprintf(stdout, "tenant %s: audit log CONTRADICTS the checkpoint signed %s by key %s: %v\n", tenantID,
			c.SignedAt.Format("2006-01-02T15:04:05Z07:00"), cp.KeyID, err)
		return err
	}
	fmt.Fprintf(stdout, "tenant %s: the chain holds entry %d with the hash the checkpoint signed %s by key %s says\n",
		tenantID, c.Seq, c.SignedAt.Format("2006-01-02T15:04:05Z07:00"), cp.KeyID)
	return nil
}

// auditSigner signs audit checkpoints with v's audit key.
func auditSigner(v *vault.Vault) idv.StatementSigner {
	return func(ctx context.Context, statement []byte) ([]byte, string, error) {
		return v.Sign(ctx, vault.PurposeAudit, statement)
	}
}
