package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// parseRegister reads the processor configuration: IDV_PROCESSOR_… for
// IDV's identity as a processor, IDV_SUBPROCESSORS_FILE (a JSON array of
// sub-processors) and IDV_SECURITY_MEASURES_FILE (organisational
// measures, one a line). Unset, the register is empty and the processing
// record says what is missing.
func parseRegister(getenv func(string) string) (schemas.Register, error) {
	reg := schemas.Register{Processor: schemas.Processor{
		Name:    strings.TrimSpace(getenv("IDV_PROCESSOR_NAME")),
		Address: strings.TrimSpace(getenv("IDV_PROCESSOR_ADDRESS")),
		Contact: strings.TrimSpace(getenv("IDV_PROCESSOR_CONTACT")),
		DPO:     strings.TrimSpace(getenv("IDV_PROCESSOR_DPO")),
		Country: strings.TrimSpace(getenv("IDV_PROCESSOR_COUNTRY")),
	}, Subprocessors: []schemas.Subprocessor{}}
	if c := reg.Processor.Country; c != "" && (len(c) != 2 || strings.ToUpper(c) != c) {
		return reg, fmt.Errorf("IDV_PROCESSOR_COUNTRY=%q: want an ISO 3166-1 alpha-2 code such as NL", c)
	}
	if path := getenv("IDV_SUBPROCESSORS_FILE"); path != "" {
		var err error
		if reg.Subprocessors, err = readSubprocessors(path); err != nil {
			return reg, err
		}
	}
	if path := getenv("IDV_SECURITY_MEASURES_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return reg, fmt.Errorf("IDV_SECURITY_MEASURES_FILE: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				reg.Measures = append(reg.Measures, line)
			}
		}
	}
	return reg, nil
}

// liveRegister is the register the API serves: base, with its
// sub-processors reread from path whenever the file changes, so that an
// entry added and announced (idv subprocessors sync) is listed and can be
// objected to without restarting the API. An unreadable or invalid file
// keeps the last good list, with an error in the log.
type liveRegister struct {
	base schemas.Register
	path string
	log  *slog.Logger

	mu      sync.Mutex
	modTime time.Time
	size    int64
	subs    []schemas.Subprocessor
}

func newLiveRegister(base schemas.Register, path string, log *slog.Logger) *liveRegister {
	r := &liveRegister{base: base, path: path, log: log, subs: base.Subprocessors}
	if path != "" {
		if fi, err := os.Stat(path); err == nil {
			r.modTime, r.size = fi.ModTime(), fi.Size()
		}
	}
	return r
}

// Register returns the register as the file says now.
func (r *liveRegister) Register(ctx context.Context) (schemas.Register, error) {
	reg := r.base
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path != "" {
		if fi, err := os.Stat(r.path); err != nil {
			r.log.ErrorContext(ctx, "IDV_SUBPROCESSORS_FILE unreadable; serving the last register read", "err", err)
		} else if !fi.ModTime().Equal(r.modTime) || fi.Size() != r.size {
			if subs, err := readSubprocessors(r.path); err != nil {
				r.log.ErrorContext(ctx, "IDV_SUBPROCESSORS_FILE invalid; serving the last register read", "err", err)
			} else {
				r.subs, r.modTime, r.size = subs, fi.ModTime(), fi.Size()
				r.log.InfoContext(ctx, "sub-processor register reread", "entries", len(subs))
			}
		}
	}
	reg.Subprocessors = r.subs
	return reg, nil
}

func readSubprocessors(path string) ([]schemas.Subprocessor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("IDV_SUBPROCESSORS_FILE: %w", err)
	}
	subs, err := schemas.ParseSubprocessors(data)
	if err != nil {
		return nil, fmt.Errorf("IDV_SUBPROCESSORS_FILE %s: %w", path, err)
	}
	return subs, nil
}

// syncRegister announces every register entry not announced before to
// every tenant, as idv api and idv dev do at start: a register entry added
// since the last start is announced then, and an entry listed when a
// tenant was created is marked seen, not announced to it later.
// It returns the number of announcements queued.
func syncRegister(ctx context.Context, st *stack, reg schemas.Register) (int, error) {
	n, err := postgres.NewSubprocessors(st.db).Sync(idv.WithActor(ctx, idv.ActorOperator),
		reg.Subprocessors, time.Now(), idv.SubprocessorAnnouncedEvent)
	if err != nil {
		return n, fmt.Errorf("announce sub-processors: %w", err)
	}
	return n, nil
}
