package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/archive"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/offboard"
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

// PEM block types of the tenant's offboarding key pair.
const (
	pemPublic  = "IDV OFFBOARD PUBLIC KEY"
	pemPrivate = "IDV OFFBOARD PRIVATE KEY"
)

// runTenantOffboard exports or deletes a tenant's data.
func runTenantOffboard(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenant offboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	recipient := fs.String("recipient", "", "the tenant's offboarding public key file (from `idv offboard keygen`)")
	exportDir := fs.String("export", "", "write the sealed archive into this directory")
	del := fs.Bool("delete", false, "destroy the tenant's keys, objects and rows")
	confirm := fs.String("confirm", "", "the tenant id again, to confirm --delete")
	noExport := fs.Bool("no-export", false, "allow --delete without an export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tenantID, err := uuid.Parse(*id)
	if err != nil {
		return fmt.Errorf("--tenant must be a tenant id (a UUID)\n%s", offboardUsage)
	}
	if (*exportDir != "") == *del {
		return fmt.Errorf("give either --export DIR or --delete\n%s", offboardUsage)
	}
	if *del && *confirm != tenantID.String() {
		return fmt.Errorf("--delete destroys all of tenant %s's data for good: confirm with --confirm %s", tenantID, tenantID)
	}
	return withStack(ctx, cfg, "tenant offboard", needServices, func(st *stack) error {
		ctx := postgres.WithActor(ctx, postgres.ActorOperator)
		if *del {
			return deleteTenant(ctx, st, tenantID, *noExport, stdout, stderr)
		}
		pub, err := readPEM(*recipient, pemPublic)
		if err != nil {
			return fmt.Errorf("--recipient: %w", err)
		}
		return exportTenant(ctx, st, tenantID, pub, *exportDir, stdout, stderr)
	})
}

// exportTenant writes the archive to a temporary file in dir, syncs it,
// renames it into place and only then records the export.
func exportTenant(ctx context.Context, st *stack, tenantID uuid.UUID, pub []byte, dir string, stdout, stderr io.Writer) error {
	e := &offboard.Exporter{Offboardings: postgres.NewOffboardings(st.db), Tenants: postgres.NewTenants(st.db),
		Sessions: postgres.NewSessions(st.db), Results: postgres.NewResults(st.db), Audit: postgres.NewAudit(st.db),
		Keys: st.vault, Objects: st.objects, Progress: stderr}
	name := filepath.Join(dir, fmt.Sprintf("%s-%s.idvoffboard", tenantID, time.Now().UTC().Format("20060102T150405Z")))
	tmp, err := os.CreateTemp(dir, ".idvoffboard-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	fmt.Fprintf(stderr, "tenant %s: offboarding; exporting every session not yet wiped, sealed to the tenant's key\n", tenantID)
	start := time.Now()
	buf := bufio.NewWriterSize(tmp, 1<<20)
	sum, err := e.Export(ctx, tenantID, pub, buf)
	if err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("export: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	secs := time.Since(start).Seconds()
	if err := e.Record(ctx, tenantID, sum); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "  %.1f s, %.1f MB/s sealed\n", secs, float64(sum.Bytes)/1e6/max(secs, 1e-9))
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
		Signer: st.vault, Progress: stderr}
	fmt.Fprintf(stderr, "tenant %s: deleting: epoch keys, then objects, then rows\n", tenantID)
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
	if len(args) == 0 || (args[0] != "keygen" && args[0] != "open") {
		return errors.New(offboardKeyUsage)
	}
	fs := flag.NewFlagSet("offboard "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	pub, priv, err := vault.NewRecipientKey()
	if err != nil {
		return err
	}
	defer clear(priv)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	pubFile, keyFile := filepath.Join(dir, "offboard.pub"), filepath.Join(dir, "offboard.key")
	for _, f := range []struct {
		path, typ string
		b         []byte
		mode      os.FileMode
	}{{keyFile, pemPrivate, priv, 0o600}, {pubFile, pemPublic, pub, 0o644}} {
		if err := writeNew(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.b}), f.mode); err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
	}
	fmt.Fprintf(stdout, "public key  %s (give it to the IDV operator: --recipient)\nprivate key %s (keep it; it alone opens the archive)\n",
		pubFile, keyFile)
	return nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func offboardOpen(keyFile, in, out string, stdout io.Writer) error {
	priv, err := readPEM(keyFile, pemPrivate)
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
	fmt.Fprintf(stdout, "archive of tenant %s (made %s): %d sessions, %d files, every one matching the manifest, in %s\n",
		m.TenantID, m.CreatedAt.Format(time.RFC3339), m.Sessions, len(m.Entries)+1, out)
	return nil
}

// readPEM reads the one PEM block of type typ in path.
func readPEM(path, typ string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("no file given")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("%s holds no %s block", path, typ)
	}
	return block.Bytes, nil
}
