package schemas

import (
	"fmt"
	"slices"
)

// Breach stages: the parts of IDV a personal-data breach can touch. The
// categories of personal data concerned follow from them (BreachCategories).
const (
	BreachAPI       = "api"
	BreachStorage   = "storage"  // the capture bucket
	BreachDatabase  = "database" // the main database
	BreachKeyStore  = "keystore" // epoch keys: with storage or database, everything opens
	BreachDocCheck  = "doccheck"
	BreachFaceMatch = "facematch"
	BreachDecision  = "decision"
	BreachNotify    = "notify"
	BreachWipe      = "wipe" // deletion failed or was late: everything lingered
)

// BreachStages are the stages a breach's scope may name.
var BreachStages = []string{BreachAPI, BreachStorage, BreachDatabase, BreachKeyStore, BreachDocCheck,
	BreachFaceMatch, BreachDecision, BreachNotify, BreachWipe}

// Categories of personal data, as the records of processing name them.
const (
	DataDocumentImages = "identity_document_images"
	DataMRZ            = "machine_readable_zone"
	DataSelfie         = "selfie_frames"
	DataFields         = "extracted_fields"
	DataClaims         = "derived_claims"
	DataResults        = "verification_results"
)

// ValidateBreachStages refuses an empty or unknown stage list.
func ValidateBreachStages(stages []string) error {
	if len(stages) == 0 {
		return fmt.Errorf("name at least one stage (%v)", BreachStages)
	}
	return validateNames("stage", stages, BreachStages)
}

// BreachCategories are the categories of personal data a breach of stages
// concerns for a tenant with policy p; face says whether any of its
// sessions in the window ran face match (selfie frames exist only then).
func BreachCategories(stages []string, face bool, p Policy) []string {
	var out []string
	add := func(cs ...string) {
		for _, c := range cs {
			if c == DataSelfie && !face {
				continue
			}
			if c == DataFields && len(p.PersonalFields()) == 0 {
				continue
			}
			if c == DataClaims && len(p.Claims()) == 0 {
				continue
			}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	all := []string{DataDocumentImages, DataMRZ, DataSelfie, DataFields, DataClaims, DataResults}
	for _, s := range stages {
		switch s {
		case BreachStorage:
			add(DataDocumentImages, DataMRZ, DataSelfie)
		case BreachDatabase:
			add(DataFields, DataClaims, DataResults)
		case BreachKeyStore, BreachWipe:
			add(all...)
		case BreachDocCheck:
			add(DataDocumentImages, DataMRZ, DataFields, DataClaims)
		case BreachFaceMatch:
			add(DataSelfie, DataDocumentImages)
		case BreachAPI, BreachDecision, BreachNotify:
			add(DataResults)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(all, a) - slices.Index(all, b) })
	return out
}
