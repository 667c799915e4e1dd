package mrz

import "strings"

// parseName splits an MRZ name field: the primary identifier (surname),
// then "<<", then the secondary identifiers (given names) separated by '<'.
// Within the surname a single '<' stands for a space or hyphen and becomes a
// space. The field holds letters and fillers only; ok is false otherwise.
func parseName(field string) (surname string, given []string, ok bool) {
	for i := 0; i < len(field); i++ {
		if c := field[i]; c != filler && (c < 'A' || c > 'Z') {
			return "", nil, false
		}
	}
	primary, secondary, _ := strings.Cut(field, "<<")
	surname = strings.ReplaceAll(strings.Trim(primary, "<"), "<", " ")
	for _, g := range strings.Split(secondary, "<") {
		if g != "" {
			given = append(given, g)
		}
	}
	return surname, given, true
}
