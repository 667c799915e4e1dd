package main

import (
	"fmt"
	"os"
	"strings"

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
		data, err := os.ReadFile(path)
		if err != nil {
			return reg, fmt.Errorf("IDV_SUBPROCESSORS_FILE: %w", err)
		}
		if reg.Subprocessors, err = schemas.ParseSubprocessors(data); err != nil {
			return reg, fmt.Errorf("IDV_SUBPROCESSORS_FILE %s: %w", path, err)
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
