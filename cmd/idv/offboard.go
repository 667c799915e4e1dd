package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/offboard"
	"github.com/idv-oss/idv/producers/offboard/archive"
)

const offboardUsage = `usage: idv tenant offboard --tenant ID --recipient PUBKEY --export DIR
       idv tenant offboard --tenant ID --delete --confirm ID [--no-export]
  --export marks the tenant offboarding (its API keys are refused from then on) and writes every session
  not yet wiped, decrypted, into DIR/<tenant>-<time>.idvoffboard, sealed to the tenant's public key.
  --delete destroys every epoch key of the tenant, its objects and its rows, and prints the signed receipt;
  it refuses unless an export was written, or --no-export says to delete without one. Run it again if it
  was interrupted: it resumes.`

const offboardKeyUsage = `usage: idv offboard keygen --out DIR      (the tenant makes its key pair: DIR/offboard.pub, DIR/offboard.key)
       idv offboard open --key FILE --in ARCHIVE --out DIR   (the tenant opens its archive into a new DIR)`

// runTenantOffboard exports or deletes a tenant's data.
func runTenantOffboard(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := newFlagSet("tenant offboard", stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	recipient := fs.String("recipient", "", "the tenant's offboarding public key file (from `idv offboard keygen`)")
	exportDir := fs.String("export", "", "write the sealed archive into this directory")
	del := fs.Bool("delete", false, "destroy the tenant's keys, objects and rows")
	confirm := fs.String("confirm", "", "the tenant id again, to confirm --delete")
	noExport := fs.Bool("no-export", false, "allow --delete without an export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, offboardUsage)
	}
	if (*exportDir != "") == *del {
		return fmt.Errorf("give either --export DIR or --delete\n%s", offboardUsage)
	}
	if *del && *confirm != tenantID.String() {
		return fmt.Errorf("--delete destroys all of tenant %s's data for good: confirm with --confirm %s", tenantID, tenantID)
	}
	return withStack(ctx, cfg, "tenant offboard", needServices, func(st *stack) error {
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		if *del {
			return deleteTenant(ctx, st, tenantID, *noExport, stdout, stderr)
		}
		pub, err := archive.ReadPublicKey(*recipient)
		if err != nil {
			return fmt.Errorf("--recipient: %w", err)
		}
		return exportTenant(ctx, st, tenantID, pub, *exportDir, stdout, stderr)
	})
}

// exportTenant writes the sealed archive into dir and prints where.
func exportTenant(ctx context.Context, st *stack, tenantID uuid.UUID, pub []byte, dir string, stdout, stderr io.Writer) error {
	e := &offboard.Exporter{Offboardings: postgres.NewOffboardings(st.db), Tenants: postgres.NewTenants(st.db),
		Sessions: postgres.NewSessions(st.db), Results: postgres.NewResults(st.db), Audit: postgres.NewAudit(st.db),
		SignAudit: auditSigner(st.vault), Keys: st.vault, Objects: st.objects, Progress: stderr}
	name, sum, err := e.ExportFile(ctx, tenantID, pub, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "archive %s\n  sessions %d, captures %d, entries %d, %d bytes sealed\n  sha256 %x\n",
		name, sum.Sessions, sum.Captures, sum.Entries, sum.Bytes, sum.SHA256)
	return nil
}

// deleteTenant runs the delete and prints the signed receipt as JSON.
func deleteTenant(ctx context.Context, st *stack, tenantID uuid.UUID, noExport bool, stdout, stderr io.Writer) error {
	if st.objects == nil {
		return errors.New("delete needs the object store (IDV_S3_ENDPOINT)")
	}
	d := &offboard.Deleter{Offboardings: postgres.NewOffboardings(st.db), Keys: st.vault, Objects: st.objects,
		Signer: st.vault, Progress: &headedWriter{w: stderr,
			head: fmt.Sprintf("tenant %s: deleting: epoch keys, then objects, then rows\n", tenantID)}}
	start := time.Now()
	done, err := d.Delete(ctx, tenantID, noExport)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "  done in %.2f s\n", time.Since(start).Seconds())
	out, err := json.MarshalIndent(printedReceipt{Receipt: done.Statement, Statement: done.Statement,
		Signature: done.Signature, KeyID: done.KeyID}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// printedReceipt is the offboarding receipt as `--delete` prints it: the
// receipt to read, and the exact signed bytes (base64) with the Ed25519
// signature and key id, to verify with GET /v1/receipt-signing-key's key.
type printedReceipt struct {
	Receipt   json.RawMessage `json:"receipt"`
	Statement []byte          `json:"statement"`
	Signature []byte          `json:"signature"`
	KeyID     string          `json:"key_id"`
}

// runOffboard is the tenant's side: make the key pair, open the archive.
func runOffboard(args []string, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("offboard", offboardKeyUsage, args, stderr, "keygen", "open")
	if err != nil {
		return err
	}
	out := fs.String("out", "", "output directory")
	keyFile := fs.String("key", "", "the private key file (offboard.key)")
	in := fs.String("in", "", "the archive (.idvoffboard)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return errors.New(offboardKeyUsage)
	}
	if args[0] == "keygen" {
		return offboardKeygen(*out, stdout)
	}
	if *keyFile == "" || *in == "" {
		return errors.New(offboardKeyUsage)
	}
	return offboardOpen(*keyFile, *in, *out, stdout)
}

func offboardKeygen(dir string, stdout io.Writer) error {
	pubFile, keyFile, err := archive.WriteKeyPair(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "public key  %s (give it to the IDV operator: --recipient)\nprivate key %s (keep it; it alone opens the archive)\n",
		pubFile, keyFile)
	return nil
}

func offboardOpen(keyFile, in, out string, stdout io.Writer) error {
	priv, err := archive.ReadPrivateKey(keyFile)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	defer clear(priv)
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	defer f.Close()
	m, err := archive.Extract(bufio.NewReaderSize(f, 1<<20), priv, out)
	if err != nil {
		return fmt.Errorf("open %s: %w", in, err)
	}
	// The manifest is checked, not extracted: write it too, so the tenant
	// can check the files' SHA-256 against it again later.
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, archive.ManifestName), append(mj, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the manifest: %w", err)
	}
	fmt.Fprintf(stdout, "archive of tenant %s (made %s): %d sessions, %d files, every one matching the manifest, in %s\n",
		m.TenantID, m.CreatedAt.Format(time.RFC3339), m.Sessions, len(m.Entries)+1, out)
	return nil
}

// headedWriter writes head before the first write: the delete's progress
// begins only once its refusal checks have passed, so a refused delete
// never says it is deleting.
type headedWriter struct {
	w    io.Writer
	head string
	done bool
}

func (h *headedWriter) Write(p []byte) (int, error) {
	if !h.done {
		h.done = true
		if _, err := io.WriteString(h.w, h.head); err != nil {
			return 0, err
		}
	}
	return h.w.Write(p)
}
