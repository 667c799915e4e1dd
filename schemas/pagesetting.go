package schemas

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The policy settings the hosted capture page shows the person: what the
// controller (the tenant) tells them before anything is taken. They are
// the tenant's words and addresses, never a person's data.
const (
	SettingPurpose           = "purpose"
	SettingControllerContact = "controller_contact"
	SettingPrivacyNoticeURL  = "privacy_notice_url"
	// SettingReturnURLs lists the pages the capture page may send the
	// person back to at the end (https, exact match).
	SettingReturnURLs = "return_urls"
	// SettingEmbedOrigins lists the https origins that may frame the
	// capture page (its Content-Security-Policy's frame-ancestors).
	SettingEmbedOrigins = "embed_origins"
	// SettingDisplayName is the name the page's header shows.
	SettingDisplayName = "display_name"
	// SettingBrandColour is the colour of the page's buttons and links.
	SettingBrandColour = "brand_colour"
)

// MaxDisplayName bounds the display name, in characters.
const MaxDisplayName = 60

// PageBackground is the capture page's background (web/src/app.css
// --paper); a brand colour is shown as text and borders on it and as the
// background of white text (a primary button), so it must keep
// MinBrandContrast against white. (Links are underlined: they need no
// contrast with the page's text, WCAG 1.4.1.)
const (
	PageBackground   = "#ffffff"
	MinBrandContrast = 4.5 // WCAG 2.1 AA, normal text
)

// Bounds of the page settings.
const (
	MaxPurpose = 500  // characters of the purpose text
	MaxContact = 254  // characters of the controller contact (an e-mail address's limit)
	MaxURL     = 2048 // characters of a URL
	MaxListed  = 10   // return URLs, or embed origins, a policy may list
)

// validatePage checks the settings the capture page shows.
func (p Policy) validatePage() error {
	if err := ValidatePurpose(p.Purpose); err != nil {
		return &SettingError{Setting: SettingPurpose, Err: err}
	}
	if err := ValidateContact(p.ControllerContact); err != nil {
		return &SettingError{Setting: SettingControllerContact, Err: err}
	}
	if p.PrivacyNoticeURL != "" {
		if err := ValidateHTTPSURL(p.PrivacyNoticeURL); err != nil {
			return &SettingError{Setting: SettingPrivacyNoticeURL, Err: err}
		}
	}
	if err := validateList(p.ReturnURLs, ValidateHTTPSURL); err != nil {
		return &SettingError{Setting: SettingReturnURLs, Err: err}
	}
	if err := validateList(p.EmbedOrigins, ValidateOrigin); err != nil {
		return &SettingError{Setting: SettingEmbedOrigins, Err: err}
	}
	if p.DisplayName != "" {
		if err := plainLine(p.DisplayName, MaxDisplayName); err != nil {
			return &SettingError{Setting: SettingDisplayName, Err: fmt.Errorf("display_name: %w", err)}
		}
	}
	if err := ValidateBrandColour(p.BrandColour); err != nil {
		return &SettingError{Setting: SettingBrandColour, Err: err}
	}
	return nil
}

// ValidateBrandColour refuses a colour that is not #rrggbb (lower-case
// hex) or whose contrast with the page's background (white, which is
// also the text on a primary button) is under MinBrandContrast. Empty is
// none: the page's own blue.
func ValidateBrandColour(c string) error {
	if c == "" {
		return nil
	}
	rgb, ok := parseHex(c)
	if !ok {
		return fmt.Errorf("brand_colour %q: want #rrggbb in lower-case hex, e.g. #0b4fbf", c)
	}
	bg, _ := parseHex(PageBackground)
	if r := ContrastRatio(rgb, bg); r < MinBrandContrast {
		return fmt.Errorf("brand_colour %s has a contrast of %.2f:1 with the page's white background and button text, under %.1f:1 (WCAG 2.1 AA): choose a darker colour",
			c, r, MinBrandContrast)
	}
	return nil
}

// parseHex reads #rrggbb (lower-case) as its three channels.
func parseHex(c string) ([3]uint8, bool) {
	var rgb [3]uint8
	if len(c) != 7 || c[0] != '#' {
		return rgb, false
	}
	for i := range 3 {
		hi, lo := hexDigit(c[1+2*i]), hexDigit(c[2+2*i])
		if hi < 0 || lo < 0 {
			return rgb, false
		}
		rgb[i] = uint8(hi<<4 | lo)
	}
	return rgb, true
}

func hexDigit(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'a' && b <= 'f':
		return int(b-'a') + 10
	}
	return -1
}

// ContrastRatio is the WCAG 2.1 contrast ratio of two sRGB colours, 1 to
// 21: (L1 + 0.05) / (L2 + 0.05) of their relative luminances.
func ContrastRatio(a, b [3]uint8) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG 2.1 relative luminance of an sRGB colour.
func luminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// validateList checks each of at most MaxListed entries with valid, and
// refuses one named twice.
func validateList(list []string, valid func(string) error) error {
	if len(list) > MaxListed {
		return fmt.Errorf("%d listed, at most %d", len(list), MaxListed)
	}
	seen := map[string]bool{}
	for _, v := range list {
		if err := valid(v); err != nil {
			return err
		}
		if seen[v] {
			return fmt.Errorf("%q listed twice", v)
		}
		seen[v] = true
	}
	return nil
}

// ValidateOrigin refuses anything but an https origin written exactly as
// a browser sends it: https://host.example or https://host.example:8443,
// a DNS host name, no path (not even /), query, fragment, credentials or
// wildcard.
func ValidateOrigin(s string) error {
	u, err := parseHTTPS(s)
	if err != nil {
		return err
	}
	if s != "https://"+u.Host {
		return fmt.Errorf("%q: an origin is https://host[:port], nothing after it", s)
	}
	return nil
}

// ValidatePurpose refuses a purpose text that is blank but not empty,
// longer than MaxPurpose characters, not UTF-8, or holding control
// characters (it is one paragraph of plain text; the page shows it as
// text, never as markup). Empty is no purpose set.
func ValidatePurpose(s string) error {
	if s == "" {
		return nil
	}
	if err := plainLine(s, MaxPurpose); err != nil {
		return fmt.Errorf("purpose: %w", err)
	}
	return nil
}

// plainLine refuses s unless it is UTF-8 of at most limit characters on
// one line, without control characters, and not blank.
func plainLine(s string, limit int) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("not UTF-8")
	case utf8.RuneCountInString(s) > limit:
		return fmt.Errorf("at most %d characters", limit)
	case strings.TrimSpace(s) == "":
		return errors.New("blank; leave it empty for none")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }):
		return errors.New("one line of plain text, without control characters")
	}
	return nil
}

// ValidateContact refuses a controller contact that is neither a bare
// e-mail address (privacy@example.com, no display name) nor an https URL
// (ValidateHTTPSURL). Empty is none.
func ValidateContact(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxContact {
		return fmt.Errorf("controller_contact: at most %d characters", MaxContact)
	}
	if strings.HasPrefix(s, "https://") {
		return ValidateHTTPSURL(s)
	}
	if !IsEmail(s) {
		return fmt.Errorf("controller_contact %q: want an e-mail address (privacy@example.com) or an https URL", s)
	}
	return nil
}

// IsEmail reports whether s is a bare e-mail address, as written: no
// display name, no angle brackets, a domain with a dot.
func IsEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || strings.ContainsAny(s, "<>\"() \t") {
		return false
	}
	_, domain, ok := strings.Cut(s, "@")
	return ok && validHost(domain)
}

// ValidateHTTPSURL refuses anything but an absolute https URL in its
// canonical spelling (as Go's url package writes it back), with a DNS host
// name, no credentials and no fragment, of at most MaxURL characters.
func ValidateHTTPSURL(s string) error {
	u, err := parseHTTPS(s)
	if err != nil {
		return err
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("%q: no fragment (#…)", s)
	}
	return nil
}

// parseHTTPS parses s as an absolute https URL with a DNS host name and no
// credentials, written as the url package writes it back.
func parseHTTPS(s string) (*url.URL, error) {
	if len(s) > MaxURL {
		return nil, fmt.Errorf("a URL of at most %d characters", MaxURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case u.Scheme != "https":
		return nil, fmt.Errorf("%q: https only", s)
	case u.User != nil:
		return nil, fmt.Errorf("%q: no credentials in the URL", s)
	case u.Opaque != "" || !validHost(u.Hostname()) || strings.HasSuffix(u.Host, ":"):
		return nil, fmt.Errorf("%q: want https://host.example/…, the host a DNS name", s)
	case u.String() != s:
		return nil, fmt.Errorf("%q: write it as %q", s, u.String())
	}
	return u, nil
}

// validHost reports whether h is a lower-case DNS name with a dot: labels
// of letters, digits and hyphens, none starting or ending with a hyphen,
// the last not all digits (no IP address).
func validHost(h string) bool {
	if len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	if tld := h[strings.LastIndex(h, ".")+1:]; strings.Trim(tld, "0123456789") == "" {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
