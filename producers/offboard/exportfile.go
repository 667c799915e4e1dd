package offboard

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
)

// ExportFile exports the tenant's archive (Export) into dir as
// <tenant>-<time>.idvoffboard: it writes a temporary file in dir, syncs it,
// renames it into place and only then records the export (Record), so
// that an interrupted export leaves neither a partial archive nor a record
// Delete would trust. It returns the archive's path.
func (e *Exporter) ExportFile(ctx context.Context, tenantID uuid.UUID, recipient []byte, dir string) (string, ExportSummary, error) {
	progress := e.progress()
	name := filepath.Join(dir, fmt.Sprintf("%s-%s.idvoffboard", tenantID, e.now().Format("20060102T150405Z")))
	tmp, err := os.CreateTemp(dir, ".idvoffboard-*")
	if err != nil {
		return "", ExportSummary{}, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	fmt.Fprintf(progress, "tenant %s: offboarding; exporting every session not yet wiped, sealed to the tenant's key\n", tenantID)
	start := time.Now()
	buf := bufio.NewWriterSize(tmp, 1<<20)
	sum, err := e.Export(ctx, tenantID, recipient, buf)
	if err != nil {
		return "", sum, err
	}
	if err := buf.Flush(); err != nil {
		return "", sum, fmt.Errorf("export: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return "", sum, fmt.Errorf("export: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", sum, fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", sum, fmt.Errorf("export: %w", err)
	}
	secs := time.Since(start).Seconds()
	if err := e.Record(ctx, tenantID, sum); err != nil {
		return "", sum, err
	}
	fmt.Fprintf(progress, "  %.1f s, %.1f MB/s sealed\n", secs, float64(sum.Bytes)/1e6/max(secs, 1e-9))
	return name, sum, nil
}
