package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/offboard/archive"
)

// A refused delete says nothing of deleting; `idv offboard open` writes
// every file it reports, the manifest included, so the tenant can check
// the files' hashes again later.
func TestOffboardOpenWritesManifestAndRefusedDeleteIsQuiet(t *testing.T) {
	a := newAdminSetup(t, "Leaving")
	leaving := a.tenants[0]
	a.addSession(leaving)
	store := s3test.NewStore(t)
	c := s3test.Gateway().ObjectsConfig(store.Bucket())
	for k, v := range map[string]string{"IDV_S3_ENDPOINT": c.Endpoint, "IDV_S3_ACCESS_KEY": c.AccessKey,
		"IDV_S3_SECRET_KEY": c.SecretKey, "IDV_S3_BUCKET": c.Bucket} {
		a.vars[k] = v
	}
	_, stderr, err := runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--delete", "--confirm", leaving)
	if err == nil || !strings.Contains(err.Error(), "no export written") {
		t.Fatalf("delete before any export: %v, want it refused", err)
	}
	if strings.Contains(stderr, "deleting") {
		t.Fatalf("refused delete printed %q", stderr)
	}

	keys, exportDir := t.TempDir(), t.TempDir()
	if _, _, err := runIDV(a.vars, "offboard", "keygen", "--out", keys); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runIDV(a.vars, "tenant", "offboard", "--tenant", leaving, "--recipient",
		filepath.Join(keys, "offboard.pub"), "--export", exportDir); err != nil {
		t.Fatalf("export: %v %s", err, stderr)
	}
	archives, _ := filepath.Glob(filepath.Join(exportDir, "*.idvoffboard"))
	if len(archives) != 1 {
		t.Fatalf("export wrote %v", archives)
	}
	opened := filepath.Join(t.TempDir(), "opened")
	out, _, err := runIDV(a.vars, "offboard", "open", "--key", filepath.Join(keys, "offboard.key"), "--in", archives[0], "--out", opened)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	files := 0
	filepath.WalkDir(opened, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if !strings.Contains(out, fmt.Sprintf(" %d files,", files)) {
		t.Fatalf("open printed %q but wrote %d files", out, files)
	}
	b, err := os.ReadFile(filepath.Join(opened, archive.ManifestName))
	var m archive.Manifest
	if err != nil || json.Unmarshal(b, &m) != nil || len(m.Entries) != files-1 || m.TenantID != leaving {
		t.Fatalf("manifest written: %v, %d entries for %d files, tenant %q", err, len(m.Entries), files, m.TenantID)
	}
}
