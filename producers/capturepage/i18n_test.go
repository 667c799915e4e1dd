package capturepage

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// languages are the page's languages, in the order of web/src/i18n.js:
// English, whose keys every other must have, first.
var languages = []string{"en", "nl", "de", "fr"}

var (
	catalogueOpen = regexp.MustCompile(`^  ([a-z]{2}): \{$`)
	catalogueText = regexp.MustCompile(`^    (\w+): ("(?:[^"\\]|\\.)*"),$`)
	placeholder   = regexp.MustCompile(`\{(\w+)\}`)
)

// readCatalogue reads the texts of web/src/i18n.js, language → key →
// text. Every line between `export const texts = {` and `};` must be a
// language's opening, one text, or a language's closing: a line of another
// shape is an error, so that no text escapes the checks.
func readCatalogue(src []byte) (langs []string, texts map[string]map[string]string, err error) {
	texts = map[string]map[string]string{}
	in, lang := false, ""
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in:
			in = line == "export const texts = {"
		case line == "};":
			if lang != "" {
				return nil, nil, fmt.Errorf("line %d: %s is not closed", n, lang)
			}
			return langs, texts, nil
		case lang == "" && catalogueOpen.MatchString(line):
			lang = catalogueOpen.FindStringSubmatch(line)[1]
			if texts[lang] != nil {
				return nil, nil, fmt.Errorf("line %d: %s twice", n, lang)
			}
			langs = append(langs, lang)
			texts[lang] = map[string]string{}
		case lang != "" && line == "  },":
			lang = ""
		case lang != "" && catalogueText.MatchString(line):
			m := catalogueText.FindStringSubmatch(line)
			text, err := strconv.Unquote(m[2])
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: %s: %w", n, m[1], err)
			}
			if _, ok := texts[lang][m[1]]; ok {
				return nil, nil, fmt.Errorf("line %d: %s.%s twice", n, lang, m[1])
			}
			texts[lang][m[1]] = text
		default:
			return nil, nil, fmt.Errorf("line %d: neither a language nor a text: %q", n, line)
		}
	}
	return nil, nil, fmt.Errorf("no `export const texts = {` … `};`")
}

// placeholders are the distinct {name}s of text, sorted.
func placeholders(text string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// TestCatalogue: web/src/i18n.js holds exactly the page's languages, and
// each has every key English has and no other, each text not empty and
// with the same placeholders as English's ({tenant}, {n}, …; a missing
// one would leave out what the person needs, an unknown one would show
// as typed).
func TestCatalogue(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("..", "..", "web", "src", "i18n.js"))
	if err != nil {
		t.Fatal(err)
	}
	langs, texts, err := readCatalogue(src)
	if err != nil {
		t.Fatalf("web/src/i18n.js: %v", err)
	}
	if !slices.Equal(langs, languages) {
		t.Fatalf("languages %v, want %v", langs, languages)
	}
	en := texts["en"]
	if len(en) < 100 {
		t.Fatalf("English has %d texts: the catalogue was not read", len(en))
	}
	for _, lang := range langs {
		for _, key := range slices.Sorted(maps.Keys(en)) {
			text, ok := texts[lang][key]
			switch {
			case !ok:
				t.Errorf("%s: %s is missing", lang, key)
			case text == "":
				t.Errorf("%s: %s is empty", lang, key)
			case !slices.Equal(placeholders(text), placeholders(en[key])):
				t.Errorf("%s: %s has placeholders %v, English %v", lang, key, placeholders(text), placeholders(en[key]))
			}
		}
		for _, key := range slices.Sorted(maps.Keys(texts[lang])) {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: %s is not an English key", lang, key)
			}
		}
	}
}
