package schemas

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPageSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		change  PolicyChange
		setting string // "" for accepted
	}{
		{"purpose", PolicyChange{Purpose: ptr("Opening a savings account (Wwft customer due diligence)")}, ""},
		{"purpose cleared", PolicyChange{Purpose: ptr("")}, ""},
		{"purpose blank", PolicyChange{Purpose: ptr("   ")}, SettingPurpose},
		{"purpose two lines", PolicyChange{Purpose: ptr("one\ntwo")}, SettingPurpose},
		{"purpose line separator", PolicyChange{Purpose: ptr("one\u2028two")}, SettingPurpose},
		{"purpose too long", PolicyChange{Purpose: ptr(strings.Repeat("é", MaxPurpose+1))}, SettingPurpose},
		{"purpose at the limit", PolicyChange{Purpose: ptr(strings.Repeat("é", MaxPurpose))}, ""},
		{"purpose not UTF-8", PolicyChange{Purpose: ptr("\xff")}, SettingPurpose},
		{"contact e-mail", PolicyChange{ControllerContact: ptr("privacy@example.com")}, ""},
		{"contact URL", PolicyChange{ControllerContact: ptr("https://example.com/contact")}, ""},
		{"contact display name", PolicyChange{ControllerContact: ptr("DPO <dpo@example.com>")}, SettingControllerContact},
		{"contact http", PolicyChange{ControllerContact: ptr("http://example.com/contact")}, SettingControllerContact},
		{"contact mailto", PolicyChange{ControllerContact: ptr("mailto:dpo@example.com")}, SettingControllerContact},
		{"contact no dot", PolicyChange{ControllerContact: ptr("dpo@localhost")}, SettingControllerContact},
		{"contact javascript", PolicyChange{ControllerContact: ptr("javascript:alert(1)")}, SettingControllerContact},
		{"notice", PolicyChange{PrivacyNoticeURL: ptr("https://example.com/privacy?lang=nl")}, ""},
		{"notice http", PolicyChange{PrivacyNoticeURL: ptr("http://example.com/privacy")}, SettingPrivacyNoticeURL},
		{"notice credentials", PolicyChange{PrivacyNoticeURL: ptr("https://user:pw@example.com/privacy")}, SettingPrivacyNoticeURL},
		{"notice fragment", PolicyChange{PrivacyNoticeURL: ptr("https://example.com/privacy#top")}, SettingPrivacyNoticeURL},
		{"notice upper-case host", PolicyChange{PrivacyNoticeURL: ptr("https://Example.com/privacy")}, SettingPrivacyNoticeURL},
		{"notice IP", PolicyChange{PrivacyNoticeURL: ptr("https://127.0.0.1/privacy")}, SettingPrivacyNoticeURL},
		{"notice not canonical", PolicyChange{PrivacyNoticeURL: ptr("https://example.com/a b")}, SettingPrivacyNoticeURL},
		{"notice javascript", PolicyChange{PrivacyNoticeURL: ptr("javascript://example.com/%0Aalert(1)")}, SettingPrivacyNoticeURL},
	}
	for _, c := range cases {
		_, err := c.change.Apply(DefaultPolicy())
		var se *SettingError
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.setting != "" && (!errors.As(err, &se) || se.Setting != c.setting):
			t.Errorf("%s: %v, want a refusal of %s", c.name, err, c.setting)
		}
	}
}

// FuzzPageSettings: whatever a tenant sends as the page's texts and
// addresses, an accepted purpose is one line of plain text within its
// bound, and an accepted address is an https URL with a DNS host and no
// credentials or fragment, or a bare e-mail address: nothing the page
// could be made to run or to send elsewhere than the tenant named.
func FuzzPageSettings(f *testing.F) {
	for _, s := range []string{"", "Opening an account", "privacy@example.com", "https://example.com/privacy",
		"https://example.com:8443/a?b=c", "javascript:alert(1)", "https://user@example.com/", "a\nb", "https://xn--e1afmkfd.xn--p1ai/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidatePurpose(s) == nil && s != "" {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") || utf8.RuneCountInString(s) > MaxPurpose {
				t.Fatalf("purpose %q accepted", s)
			}
		}
		if ValidateHTTPSURL(s) == nil {
			checkHTTPS(t, s)
		}
		if ValidateContact(s) == nil && s != "" && !IsEmail(s) {
			checkHTTPS(t, s)
		}
	})
}

// checkHTTPS fails unless s parses as an https URL with a host and no
// credentials, fragment or whitespace.
func checkHTTPS(t *testing.T, s string) {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(s, "# \t\r\n") {
		t.Fatalf("URL %q accepted", s)
	}
}

func TestReturnAndEmbedSettings(t *testing.T) {
	t.Parallel()
	many := make([]string, MaxListed+1)
	for i := range many {
		many[i] = "https://shop.example/done/" + string(rune('a'+i))
	}
	cases := []struct {
		name    string
		change  PolicyChange
		setting string // "" for accepted
	}{
		{"return URLs", PolicyChange{ReturnURLs: ptr([]string{"https://shop.example/done", "https://shop.example/done?step=2"})}, ""},
		{"return URLs cleared", PolicyChange{ReturnURLs: ptr([]string{})}, ""},
		{"return URL http", PolicyChange{ReturnURLs: ptr([]string{"http://shop.example/done"})}, SettingReturnURLs},
		{"return URL twice", PolicyChange{ReturnURLs: ptr([]string{"https://shop.example/done", "https://shop.example/done"})}, SettingReturnURLs},
		{"return URL javascript", PolicyChange{ReturnURLs: ptr([]string{"javascript:alert(1)"})}, SettingReturnURLs},
		{"too many return URLs", PolicyChange{ReturnURLs: ptr(many)}, SettingReturnURLs},
		{"embed origin", PolicyChange{EmbedOrigins: ptr([]string{"https://shop.example", "https://app.shop.example:8443"})}, ""},
		{"embed origin with a slash", PolicyChange{EmbedOrigins: ptr([]string{"https://shop.example/"})}, SettingEmbedOrigins},
		{"embed origin with a path", PolicyChange{EmbedOrigins: ptr([]string{"https://shop.example/app"})}, SettingEmbedOrigins},
		{"embed origin http", PolicyChange{EmbedOrigins: ptr([]string{"http://shop.example"})}, SettingEmbedOrigins},
		{"embed wildcard", PolicyChange{EmbedOrigins: ptr([]string{"https://*.shop.example"})}, SettingEmbedOrigins},
		{"embed everything", PolicyChange{EmbedOrigins: ptr([]string{"*"})}, SettingEmbedOrigins},
		{"embed none", PolicyChange{EmbedOrigins: ptr([]string{"'none'"})}, SettingEmbedOrigins},
		{"embed two sources in one", PolicyChange{EmbedOrigins: ptr([]string{"https://a.example https://b.example"})}, SettingEmbedOrigins},
		{"embed bad port", PolicyChange{EmbedOrigins: ptr([]string{"https://shop.example:x"})}, SettingEmbedOrigins},
	}
	for _, c := range cases {
		_, err := c.change.Apply(DefaultPolicy())
		var se *SettingError
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.setting != "" && (!errors.As(err, &se) || se.Setting != c.setting):
			t.Errorf("%s: %v, want a refusal of %s", c.name, err, c.setting)
		}
	}
}

// FuzzOrigin: an accepted embed origin is exactly one https origin — it
// goes into the page's Content-Security-Policy as one source, so it must
// hold no space, semicolon, comma, quote, wildcard or path.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example", "https://shop.example:8443", "https://shop.example/", "*", "https://a.example;script-src *",
		"https://a.example https://b.example", "'self'", "https://xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateOrigin(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || s != "https://"+u.Host || strings.ContainsAny(s, " \t\r\n;,'\"*/\\?#") && strings.Count(s, "/") != 2 {
			t.Fatalf("origin %q accepted", s)
		}
		if strings.ContainsAny(strings.TrimPrefix(s, "https://"), " \t\r\n;,'\"*/\\?#@") {
			t.Fatalf("origin %q accepted", s)
		}
	})
}

func TestBrandSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		change  PolicyChange
		setting string // "" for accepted
	}{
		{"display name", PolicyChange{DisplayName: ptr("Spaarbank Noord")}, ""},
		{"display name too long", PolicyChange{DisplayName: ptr(strings.Repeat("x", MaxDisplayName+1))}, SettingDisplayName},
		{"display name two lines", PolicyChange{DisplayName: ptr("a\nb")}, SettingDisplayName},
		{"page blue", PolicyChange{BrandColour: ptr("#0b4fbf")}, ""},
		{"dark green", PolicyChange{BrandColour: ptr("#0a6b2d")}, ""},
		{"black", PolicyChange{BrandColour: ptr("#000000")}, ""},
		{"yellow", PolicyChange{BrandColour: ptr("#ffd700")}, SettingBrandColour},
		{"light blue", PolicyChange{BrandColour: ptr("#4a90e2")}, SettingBrandColour},
		{"white", PolicyChange{BrandColour: ptr("#ffffff")}, SettingBrandColour},
		{"upper case", PolicyChange{BrandColour: ptr("#0B4FBF")}, SettingBrandColour},
		{"short", PolicyChange{BrandColour: ptr("#04b")}, SettingBrandColour},
		{"named", PolicyChange{BrandColour: ptr("navy")}, SettingBrandColour},
		{"CSS injection", PolicyChange{BrandColour: ptr("#000;x:y")}, SettingBrandColour},
	}
	for _, c := range cases {
		_, err := c.change.Apply(DefaultPolicy())
		var se *SettingError
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.setting != "" && (!errors.As(err, &se) || se.Setting != c.setting):
			t.Errorf("%s: %v, want a refusal of %s", c.name, err, c.setting)
		}
	}
	// WCAG's own figures: black on white 21:1, #767676 on white 4.54:1.
	if r := ContrastRatio([3]uint8{}, [3]uint8{255, 255, 255}); r < 20.99 || r > 21.01 {
		t.Errorf("black on white %.3f", r)
	}
	if r := ContrastRatio([3]uint8{0x76, 0x76, 0x76}, [3]uint8{255, 255, 255}); r < 4.5 || r > 4.6 {
		t.Errorf("#767676 on white %.3f", r)
	}
}

// FuzzBrandColour: an accepted colour is exactly #rrggbb in lower-case hex
// (it becomes a CSS custom property's value) and keeps AA contrast.
func FuzzBrandColour(f *testing.F) {
	for _, s := range []string{"#0b4fbf", "#ffffff", "#000", "red", "#0b4fbf;", "#0B4FBF", "#zzzzzz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateBrandColour(s) != nil || s == "" {
			return
		}
		rgb, ok := parseHex(s)
		if len(s) != 7 || strings.Trim(s[1:], "0123456789abcdef") != "" || !ok || ContrastRatio(rgb, [3]uint8{255, 255, 255}) < MinBrandContrast {
			t.Fatalf("colour %q accepted", s)
		}
	})
}
