package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/offboard"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// offboardEnv is the operator's environment for the system s: its
// databases, master key and bucket.
func offboardEnv(s *system) map[string]string {
	c := s3test.Gateway().ObjectsConfig(s.st.objects.Bucket())
	return map[string]string{"DATABASE_URL": s.mainURL, "IDV_KEYSTORE_URL": s.keysURL,
		"IDV_MASTER_KEY":  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"IDV_S3_ENDPOINT": c.Endpoint, "IDV_S3_REGION": c.Region, "IDV_S3_ACCESS_KEY": c.AccessKey,
		"IDV_S3_SECRET_KEY": c.SecretKey, "IDV_S3_BUCKET": c.Bucket}
}

// runIDV runs an idv command with vars and returns stdout, stderr and its error.
func runIDV(vars map[string]string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut, env(vars))
	return out.String(), errOut.String(), err
}

// otherTenantSession makes a second tenant with one session whose app has
// uploaded its captures: what offboarding the first tenant must not touch.
func otherTenantSession(t *testing.T, s *system) (tenant.Created, *verification) {
	t.Helper()
	ctx := context.Background()
	other, err := tenant.Create(ctx, postgres.NewTenants(s.st.db), s.st.vault, tenant.Request{Name: "Other",
		WebhookURL: "https://other.example/hook", RetentionDays: 7, AllowSpecimen: true})
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := customerCall(ctx, http.MethodPost, s.apiURL+"/v1/sessions", other.APIKey, &created); err != nil {
		t.Fatal(err)
	}
	v := &verification{id: created.ID, app: appclient.New(s.apiURL, created.AppToken, nil)}
	if v.session, err = v.app.Session(ctx); err != nil {
		t.Fatal(err)
	}
	if v.captures, err = loadgen.SpecimenCaptures(1); err != nil {
		t.Fatal(err)
	}
	if err := v.app.SealAndUpload(ctx, v.session, v.captures, nil); err != nil {
		t.Fatal(err)
	}
	return other, v
}

// TestOffboardEndToEnd: a tenant with two decided sessions (fields and a
// redacted copy stored) and one just created is exported, sealed to the
// key the tenant made, and opened on the tenant's side: captures are the
// bytes the app sealed, fields and results are there, the audit log and
// policy too; a wrong key, a truncated or altered archive fail. Then the
// delete, interrupted once by an object store that fails, resumes when run
// again: every epoch key of the tenant is destroyed (copies of wrapped
// session keys taken before no longer unwrap), its storage prefix is empty,
// none of its rows remain but those kept by design, and another tenant is
// untouched. Refusals: no delete without --confirm or before an export.
func TestOffboardEndToEnd(t *testing.T) {
	s := startSystemWith(t, systemOptions{fields: []string{"full_name", "document_number", "document_valid"}})
	ctx := context.Background()
	tid := s.tenant.TenantID.String()
	on := true
	if _, err := postgres.NewTenants(s.st.db).UpdatePolicy(ctx, s.tenant.TenantID,
		schemas.PolicyChange{RedactedCopy: &on}.Apply); err != nil {
		t.Fatal(err)
	}
	var decided []*verification
	for range 2 {
		v := s.newVerification()
		r := s.await(v, s.submit(v, nil))
		if r.Fields["full_name"] == nil {
			t.Fatalf("session %s decided without fields: %+v", v.id, r)
		}
		decided = append(decided, v)
	}
	fresh := s.newVerification() // created, nothing uploaded
	other, otherV := otherTenantSession(t, s)
	vars := offboardEnv(s)

	// The tenant's side: its key pair.
	keys, wrongKeys := t.TempDir(), t.TempDir()
	for _, dir := range []string{keys, wrongKeys} {
		if _, stderr, err := runIDV(vars, "offboard", "keygen", "--out", dir); err != nil {
			t.Fatalf("keygen: %v %s", err, stderr)
		}
	}
	if fi, err := os.Stat(filepath.Join(keys, "offboard.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}

	// Refusals before anything happens.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tenant", tid, "--delete"}, "confirm with --confirm " + tid},
		{[]string{"--tenant", tid, "--delete", "--confirm", other.TenantID.String()}, "confirm with --confirm"},
		{[]string{"--tenant", tid, "--delete", "--confirm", tid}, "no export written"},
		{[]string{"--tenant", tid, "--export", t.TempDir(), "--recipient", filepath.Join(keys, "offboard.key")}, "no IDV OFFBOARD PUBLIC KEY"},
		{[]string{"--tenant", tid}, "either --export DIR or --delete"},
	} {
		out, stderr, err := runIDV(vars, append([]string{"tenant", "offboard"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("idv tenant offboard %v: %v (%s%s), want an error saying %q", c.args, err, out, stderr, c.want)
		}
	}
	var live int
	if err := s.st.keys.QueryRow(`SELECT count(*) FROM epoch_keys WHERE tenant_id = $1 AND sealed_key IS NOT NULL`, tid).Scan(&live); err != nil || live == 0 {
		t.Fatalf("refusals touched the epoch keys: %d live, %v", live, err)
	}

	// Export.
	exportDir := t.TempDir()
	out, stderr, err := runIDV(vars, "tenant", "offboard", "--tenant", tid, "--recipient", filepath.Join(keys, "offboard.pub"), "--export", exportDir)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	t.Logf("export:\n%s%s", stderr, out)
	m := regexp.MustCompile(`archive (\S+)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(stderr, "sessions exported") && !strings.Contains(stderr, "3 sessions") {
		t.Fatalf("export printed:\n%s%s", out, stderr)
	}
	archivePath := m[1]
	if entries, _ := os.ReadDir(exportDir); len(entries) != 1 {
		t.Fatalf("export directory holds %d files, want the archive alone", len(entries))
	}
	sealed, err := os.ReadFile(archivePath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, decided[0].captures[len(decided[0].captures)-1].Plain) || bytes.Contains(sealed, []byte(`"full_name"`)) {
		t.Fatal("the archive holds plaintext")
	}

	// The tenant is frozen: its API key is refused with a clear code, the
	// other tenant's works.
	err = customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+decided[0].id, s.tenant.APIKey, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "tenant_offboarding") {
		t.Fatalf("offboarding tenant's API call: %v", err)
	}
	if err := customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+otherV.id, other.APIKey, nil); err != nil {
		t.Fatalf("other tenant's API call: %v", err)
	}

	// The tenant opens it; a wrong key, a truncated or modified copy fail.
	bad := t.TempDir()
	for name, c := range map[string]struct {
		key  string
		data []byte
	}{
		"wrong key": {filepath.Join(wrongKeys, "offboard.key"), sealed},
		"truncated": {filepath.Join(keys, "offboard.key"), sealed[:len(sealed)-200]},
		"modified":  {filepath.Join(keys, "offboard.key"), flipByte(sealed, len(sealed)/3)},
	} {
		in := filepath.Join(bad, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(in, c.data, 0o600)
		outDir := filepath.Join(bad, "out-"+filepath.Base(in))
		if _, _, err := runIDV(vars, "offboard", "open", "--key", c.key, "--in", in, "--out", outDir); err == nil ||
			!strings.Contains(err.Error(), "does not authenticate") {
			t.Errorf("%s archive: %v, want it refused as not authenticating", name, err)
		}
		if _, err := os.Stat(outDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s archive: output left behind", name)
		}
	}
	opened := filepath.Join(t.TempDir(), "opened")
	if out, _, err := runIDV(vars, "offboard", "open", "--key", filepath.Join(keys, "offboard.key"), "--in", archivePath, "--out", opened); err != nil {
		t.Fatalf("open: %v", err)
	} else if !strings.Contains(out, "3 sessions") {
		t.Fatalf("open printed %s", out)
	}
	auditKeys, err := s.st.vault.VerifyKeys(ctx, vault.PurposeAudit)
	if err != nil {
		t.Fatal(err)
	}
	checkArchive(t, opened, decided, fresh, auditKeys)

	// Copies of the wrapped session keys, as a backup of the main
	// database would hold them.
	copies := map[string]idv.WrappedKey{}
	for _, v := range append(slices.Clone(decided), fresh) {
		copies[v.id] = s.wrappedKey(v.id)
	}
	otherKey, err := postgres.NewSessions(s.st.db).Key(ctx, other.TenantID, uuid.MustParse(otherV.id))
	if err != nil {
		t.Fatal(err)
	}

	// The delete, interrupted: the object store fails after the epoch keys
	// are gone (a bucket that does not exist: a real store's real error).
	cfg := s3test.Gateway().ObjectsConfig("no-such-bucket-offboard")
	broken, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &offboard.Deleter{Offboardings: postgres.NewOffboardings(s.st.db), Keys: s.st.vault, Objects: broken, Signer: s.st.vault}
	if _, err := d.Delete(ctx, s.tenant.TenantID, false); err == nil {
		t.Fatal("delete with a failing object store succeeded")
	}
	for id, k := range copies {
		if _, err := s.st.vault.Unwrap(ctx, k); !errors.Is(err, idv.ErrEpochDestroyed) {
			t.Fatalf("session %s's key still unwraps after the interrupted delete: %v", id, err)
		}
	}

	// Resumed through the command, it completes with a receipt.
	out, stderr, err = runIDV(vars, "tenant", "offboard", "--tenant", tid, "--delete", "--confirm", tid)
	if err != nil {
		t.Fatalf("delete: %v\n%s", err, stderr)
	}
	t.Logf("delete:\n%s%s", stderr, out)
	receipt := checkOffboardReceipt(t, s, out, live)
	again, _, err := runIDV(vars, "tenant", "offboard", "--tenant", tid, "--delete", "--confirm", tid)
	if err != nil || checkOffboardReceipt(t, s, again, live).ReceiptID != receipt.ReceiptID {
		t.Fatalf("delete run again: %v, want the same receipt", err)
	}

	// Gone, backups included; nothing of the tenant left but what is kept.
	for id, k := range copies {
		if _, err := s.st.vault.Unwrap(ctx, k); !errors.Is(err, idv.ErrEpochDestroyed) {
			t.Fatalf("session %s's key copy unwraps after the delete: %v", id, err)
		}
	}
	if _, err := s.st.vault.NewSessionKey(ctx, s.tenant.TenantID, uuid.New(), time.Now().Add(7*24*time.Hour)); !errors.Is(err, idv.ErrEpochDestroyed) {
		t.Fatalf("a new session key for the offboarded tenant: %v, want ErrEpochDestroyed", err)
	}
	if err := s.st.keys.QueryRow(`SELECT count(*) FROM epoch_keys WHERE tenant_id = $1 AND sealed_key IS NOT NULL`, tid).Scan(&live); err != nil || live != 0 {
		t.Fatalf("%d epoch keys of the tenant left (%v)", live, err)
	}
	if n, err := s.st.objects.DeletePrefix(ctx, tid+"/"); err != nil || n != 0 {
		t.Fatalf("the tenant's storage prefix held %d entries after the delete (%v)", n, err)
	}
	checkRowsLeft(t, s, s.tenant.TenantID)
	// After the delete the key is still refused as the documented 403, not
	// as an unknown key (its tombstone); a key never issued stays 401.
	err = customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+decided[0].id, s.tenant.APIKey, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "tenant_offboarding") {
		t.Fatalf("the offboarded tenant's API key after the delete: %v", err)
	}
	forged := s.tenant.APIKey[:len(s.tenant.APIKey)-2] + "AA"
	if err := customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+decided[0].id, forged, nil); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("the offboarded tenant's key id with another secret: %v", err)
	}

	// The other tenant is untouched.
	k, err := s.st.vault.Unwrap(ctx, idv.WrappedKey{TenantID: otherKey.TenantID, SessionID: otherKey.SessionID,
		Epoch: otherKey.Epoch, PublicKey: otherKey.PublicKey, Wrapped: otherKey.Wrapped})
	if err != nil {
		t.Fatalf("the other tenant's session key: %v", err)
	}
	for _, c := range otherV.captures {
		b, err := s.st.objects.Get(ctx, schemas.ObjectKey(other.TenantID.String(), otherV.id, 1, c.Kind, c.Index), 16<<20)
		if err != nil {
			t.Fatalf("the other tenant's %s: %v", c.Kind, err)
		}
		plain, err := seal.Open(k, seal.CaptureInfo(k.SessionID(), 1, string(c.Kind), c.Index), b)
		if err != nil || !bytes.Equal(plain, c.Plain) {
			t.Fatalf("the other tenant's %s does not open to what its app sealed: %v", c.Kind, err)
		}
	}
	if out, _, err := runIDV(vars, "audit", "verify", "--tenant", tid); err != nil {
		t.Fatalf("audit verify after offboarding: %v %s", err, out)
	}
}

func flipByte(b []byte, pos int) []byte {
	c := bytes.Clone(b)
	c[pos] ^= 0x40
	return c
}

// checkArchive checks what the tenant opened: every capture of the decided
// sessions is the plaintext the app sealed, fields and results are there,
// the redacted copy, the fresh session with no captures, policy and audit.
func checkArchive(t *testing.T, dir string, decided []*verification, fresh *verification, auditKeys []idv.VerifyKey) {
	t.Helper()
	for _, v := range decided {
		var f struct {
			Decision *string                   `json:"decision"`
			Results  []struct{ Check string }  `json:"results"`
			Fields   map[string]map[string]any `json:"fields"`
			Captures []struct {
				Kind        string `json:"kind"`
				Index       int    `json:"index"`
				File        string `json:"file"`
				Unavailable string `json:"unavailable"`
			} `json:"captures"`
		}
		readJSON(t, filepath.Join(dir, "sessions", v.id, "session.json"), &f)
		if f.Decision == nil || len(f.Results) == 0 || f.Fields["document"]["full_name"] == nil {
			t.Fatalf("session %s in the archive: %+v", v.id, f)
		}
		files := map[string]string{}
		for _, c := range f.Captures {
			if c.Unavailable != "" {
				t.Fatalf("session %s: %s/%d unavailable: %s", v.id, c.Kind, c.Index, c.Unavailable)
			}
			files[schemas.CaptureRef(schemas.CaptureKind(c.Kind), c.Index)] = c.File
		}
		for _, c := range v.captures {
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(files[schemas.CaptureRef(c.Kind, c.Index)])))
			if err != nil || !bytes.Equal(got, c.Plain) {
				t.Fatalf("session %s: %s in the archive is not what the app sealed (%v)", v.id, c.Kind, err)
			}
		}
		if files[schemas.CaptureRef(schemas.RedactedCopy, 0)] == "" || len(files) != len(v.captures)+1 {
			t.Fatalf("session %s: captures in the archive %v; want the app's and the redacted copy", v.id, files)
		}
	}
	var f struct {
		Status   string `json:"status"`
		Captures []any  `json:"captures"`
	}
	readJSON(t, filepath.Join(dir, "sessions", fresh.id, "session.json"), &f)
	if f.Status != "created" || len(f.Captures) != 0 {
		t.Fatalf("fresh session in the archive: %+v", f)
	}
	var policy schemas.Policy
	readJSON(t, filepath.Join(dir, "tenant", "policy.json"), &policy)
	if !policy.RedactedCopy {
		t.Fatalf("policy in the archive: %+v", policy)
	}
	audit, err := os.ReadFile(filepath.Join(dir, "tenant", "audit-events", "000001.jsonl"))
	if err != nil || !bytes.Contains(audit, []byte(idv.AuditOffboardingExport)) || !bytes.Contains(audit, []byte(idv.AuditPolicyChanged)) {
		t.Fatalf("audit log in the archive lacks the export or the policy change (%v)", err)
	}
	// It ends with a checkpoint, signed with the audit key, of its last entry.
	var cp idv.SignedCheckpoint
	readJSON(t, filepath.Join(dir, "tenant", "audit-checkpoint.json"), &cp)
	c, err := idv.OpenCheckpoint(auditKeys, cp)
	if err != nil {
		t.Fatalf("the archive's audit checkpoint: %v", err)
	}
	lines := bytes.Split(bytes.TrimSpace(audit), []byte("\n"))
	var last idv.AuditExport
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		t.Fatal(err)
	}
	if c.Seq != last.Seq || c.Hash != last.Hash || c.Purpose != schemas.CheckpointArchive {
		t.Fatalf("the archive's checkpoint %+v, want its last audit entry %d %s", c, last.Seq, last.Hash)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkOffboardReceipt parses the printed receipt and checks its signature
// and counts, and that it names the head of the tenant's audit chain.
func checkOffboardReceipt(t *testing.T, s *system, out string, epochKeys int) schemas.OffboardingReceipt {
	t.Helper()
	var printed printedReceipt
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("delete printed %q: %v", out, err)
	}
	pub, keyID, err := s.st.vault.ReceiptPublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if printed.KeyID != keyID || !idv.VerifyReceipt(pub, printed.Statement, printed.Signature) {
		t.Fatal("the offboarding receipt does not verify")
	}
	r, err := idv.ParseOffboardingReceipt(printed.Statement)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sessions != 3 || r.SessionsNotWiped != 3 || r.EpochKeysDestroyed != epochKeys || r.ObjectsDeleted == 0 ||
		r.ExportedAt == nil || r.NoExport || r.RowsDeleted["captures"] == 0 {
		t.Fatalf("receipt %+v", r)
	}
	events, err := postgres.NewAudit(s.st.db).List(context.Background(), s.tenant.TenantID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	head := events[len(events)-1].Export()
	if head.Seq != r.AuditSeq || head.Hash != r.AuditHash || head.Action != idv.AuditTenantOffboarded {
		t.Fatalf("receipt names audit head %d %s, the chain ends at %d %s (%s)", r.AuditSeq, r.AuditHash, head.Seq, head.Hash, head.Action)
	}
	return r
}

// kept are the tables that keep rows of an offboarded tenant, by design.
var kept = []string{"tenants", "audit_events", "breach_tenants", "tenant_offboardings", "api_key_tombstones"}

// checkRowsLeft looks in every table with a tenant_id column (also those
// added after this test was written) for rows of the tenant.
func checkRowsLeft(t *testing.T, s *system, tenantID uuid.UUID) {
	t.Helper()
	var tables []string
	if err := s.owner.Select(&tables, `SELECT table_name FROM information_schema.columns
		WHERE column_name = 'tenant_id' AND table_schema = 'public' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var n int
		if err := s.owner.Get(&n, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, tenantID); err != nil {
			t.Fatal(err)
		}
		if n > 0 && !slices.Contains(kept, table) {
			t.Errorf("%d rows of the offboarded tenant left in %s", n, table)
		}
	}
	var webhook string
	var secret []byte
	if err := s.owner.QueryRow(`SELECT webhook_url, webhook_secret_sealed FROM tenants WHERE tenant_id = $1`, tenantID).
		Scan(&webhook, &secret); err != nil || webhook != "" || len(secret) != 0 {
		t.Errorf("tenant row keeps its webhook (%q, %d bytes): %v", webhook, len(secret), err)
	}
}

// TestOffboardWithoutExport: --no-export deletes without an archive and
// says so in the receipt; afterwards an export is refused, the delete run
// again returns the same receipt, and the other tenant keeps its session.
func TestOffboardWithoutExport(t *testing.T) {
	a := newAdminSetup(t, "Leaving", "Staying")
	leaving, staying := a.tenants[0], a.tenants[1]
	a.addSession(leaving)
	kept := a.addSession(staying)
	store := s3test.NewStore(t)
	c := s3test.Gateway().ObjectsConfig(store.Bucket())
	for k, v := range map[string]string{"IDV_S3_ENDPOINT": c.Endpoint, "IDV_S3_ACCESS_KEY": c.AccessKey,
		"IDV_S3_SECRET_KEY": c.SecretKey, "IDV_S3_BUCKET": c.Bucket} {
		a.vars[k] = v
	}
	out, _, err := runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--delete", "--confirm", leaving, "--no-export")
	if err != nil {
		t.Fatalf("delete --no-export: %v", err)
	}
	var printed printedReceipt
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatal(err)
	}
	r, err := idv.ParseOffboardingReceipt(printed.Statement)
	if err != nil || !r.NoExport || r.ExportedAt != nil || r.Sessions != 1 {
		t.Fatalf("receipt %+v (%v)", r, err)
	}
	keys := t.TempDir()
	if _, _, err := runIDV(a.vars, "offboard", "keygen", "--out", keys); err != nil {
		t.Fatal(err)
	}
	_, _, err = runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--recipient", filepath.Join(keys, "offboard.pub"), "--export", t.TempDir())
	if !errors.Is(err, offboard.ErrDeleted) {
		t.Fatalf("export after the delete: %v, want ErrDeleted", err)
	}
	again, _, err := runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--delete", "--confirm", leaving)
	var second printedReceipt
	if err != nil || json.Unmarshal([]byte(again), &second) != nil || !bytes.Equal(second.Statement, printed.Statement) {
		t.Fatalf("delete run again: %v, want the same receipt", err)
	}
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM sessions WHERE session_id = $1 AND deleted_at IS NULL`, kept); err != nil || n != 1 {
		t.Fatalf("the staying tenant's session: %d rows (%v)", n, err)
	}
	if _, err := a.try("tenant", "policy", "show", "--tenant", staying); err != nil {
		t.Fatalf("the staying tenant: %v", err)
	}
}

// TestOffboardVersionedBucket: on a bucket that keeps versions (as an
// operator may run one on S3), `idv tenant offboard --delete` leaves no
// version and no delete marker under the tenant's prefix — each capture
// has three versions, one sits behind a delete marker — and no file of the
// gateway holds any of those bytes; the receipt counts every version and
// marker, and another tenant keeps all of its own.
func TestOffboardVersionedBucket(t *testing.T) {
	a := newAdminSetup(t, "Leaving", "Staying")
	leaving, staying := a.tenants[0], a.tenants[1]
	store := s3test.NewVersionedStore(t)
	c := s3test.Gateway().ObjectsConfig(store.Bucket())
	for k, v := range map[string]string{"IDV_S3_ENDPOINT": c.Endpoint, "IDV_S3_REGION": c.Region,
		"IDV_S3_ACCESS_KEY": c.AccessKey, "IDV_S3_SECRET_KEY": c.SecretKey, "IDV_S3_BUCKET": c.Bucket} {
		a.vars[k] = v
	}
	ctx := context.Background()
	// versions stores three versions of each capture of a session of the
	// tenant and a delete marker over the first, and returns their bytes.
	versions := func(tenant string) [][]byte {
		session := a.addSession(tenant)
		var bodies [][]byte
		var keys []string
		for _, capture := range []struct {
			kind  schemas.CaptureKind
			index int
		}{{schemas.DocumentFront, 0}, {schemas.Selfie, 0}, {schemas.MRZ, 0}} {
			key := schemas.ObjectKey(tenant, session, 1, capture.kind, capture.index)
			keys = append(keys, key)
			for range 3 {
				body := []byte("sealed " + key + " " + uuid.NewString())
				if err := store.Put(ctx, key, body); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, body)
			}
		}
		s3test.Delete(t, store, keys[0])
		return bodies
	}
	gone, kept := versions(leaving), versions(staying)
	before := s3test.Entries(t, store, leaving+"/")
	if len(before) != len(gone)+1 || !slices.ContainsFunc(before, func(e s3test.Entry) bool { return e.DeleteMarker }) {
		t.Fatalf("the leaving tenant's entries: %v; want %d versions and a delete marker", before, len(gone))
	}
	if files := s3test.FilesHolding(t, store, gone...); len(files) < len(gone) {
		t.Fatalf("%d files hold the %d versions: %v", len(files), len(gone), files)
	}
	staying0 := s3test.Entries(t, store, staying+"/")

	out, stderr, err := runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--delete", "--confirm", leaving, "--no-export")
	if err != nil {
		t.Fatalf("delete: %v\n%s", err, stderr)
	}
	var printed printedReceipt
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("delete printed %q: %v", out, err)
	}
	r, err := idv.ParseOffboardingReceipt(printed.Statement)
	if err != nil {
		t.Fatal(err)
	}
	if r.ObjectsDeleted != int64(len(before)) {
		t.Errorf("receipt counts %d objects deleted, want %d (every version and the marker)", r.ObjectsDeleted, len(before))
	}
	if got := s3test.Entries(t, store, leaving+"/"); len(got) != 0 {
		t.Fatalf("left under the offboarded tenant's prefix: %v", got)
	}
	if files := s3test.FilesHolding(t, store, gone...); len(files) != 0 {
		t.Errorf("files of the gateway still hold the offboarded tenant's bytes: %v", files)
	}
	if got := s3test.Entries(t, store, staying+"/"); !slices.Equal(got, staying0) {
		t.Errorf("the staying tenant's entries: %v, want %v", got, staying0)
	}
	if files := s3test.FilesHolding(t, store, kept...); len(files) < len(kept) {
		t.Errorf("the staying tenant's versions: %d files hold its %d versions", len(files), len(kept))
	}
}
