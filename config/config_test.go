package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leapboot/leapboot/boot"
)

func diagText(ds []boot.Diagnostic) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, "\n")
}

func TestParseFull(t *testing.T) {
	b, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, ds := Parse("full.toml", b, Defaults())
	if len(ds) > 0 {
		t.Fatalf("diagnostics:\n%s", diagText(ds))
	}
	three := 3.0
	want := Config{
		Timeout: &three, TimeoutStyle: "countdown", Default: "Debian*", Sources: []string{"bls", "grub"},
		Shell: false, LogLevel: "debug",
		Devices:  Devices{Allow: []string{}, Deny: []string{"/dev/sd*", "USBSTICK"}},
		Cmdline:  Cmdline{Append: []string{"console=ttyS0,115200"}, Remove: []string{"quiet", "splash"}},
		Edit:     Edit{Allowed: true, Password: "grub.pbkdf2.sha512.10000.0102030405060708.0A0B0C"},
		Override: Override{ESP: true},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
	if d, ok := c.Duration(); !ok || d != 3*time.Second {
		t.Errorf("Duration = %v %v", d, ok)
	}
	// What String prints reads back the same.
	c2, ds := Parse("again", []byte(c.String()), Defaults())
	if len(ds) > 0 || !reflect.DeepEqual(c2, want) {
		t.Errorf("round trip: %+v\n%s\n%s", c2, diagText(ds), c.String())
	}
}

func TestParseErrorsHaveLines(t *testing.T) {
	b, err := os.ReadFile("testdata/bad.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, ds := Parse("bad.toml", b, Defaults())
	got := diagText(ds)
	for _, want := range []string{
		`bad.toml:4: unknown setting "colour"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	// Unknown keys stop the value checks? No: fix the key and the values
	// are checked, each on its line.
	b = []byte(strings.Replace(string(b), `colour = "blue"`, "", 1))
	_, ds = Parse("bad.toml", b, Defaults())
	got = diagText(ds)
	for _, want := range []string{
		`bad.toml:2: timeout_style: "sometimes" is not menu, countdown or hidden`,
		`bad.toml:3: sources: unknown source "lilo"`,
		`bad.toml:8: edit.password: password hash does not start with "grub.pbkdf2.sha512"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
}

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		diag     string // "" for none
		check    func(c Config) bool
	}{
		{"empty is the defaults", "", "", func(c Config) bool { return reflect.DeepEqual(c, Defaults()) }},
		{"timeout -1 waits", "timeout = -1", "", func(c Config) bool { d, ok := c.Duration(); return ok && d == boot.WaitForever }},
		{"timeout fraction", "timeout = 0.5", "", func(c Config) bool { d, _ := c.Duration(); return d == 500*time.Millisecond }},
		{"timeout too long", "timeout = 100000", "x:1: timeout: 100000 seconds is too long", nil},
		{"timeout a string", `timeout = "5"`, "x:1: timeout: a string is not allowed here (want seconds, a number)", nil},
		{"syntax error", "timeout = \n", "x:1: ", nil},
		{"bool wrongly typed", "\n[edit]\nallowed = 1", "x:3: edit.allowed: a integer is not allowed here (want true or false)", nil},
		{"unknown table", "[nope]\nx = 1", `x:1: unknown setting "nope"`, nil},
		{"source twice", `sources = ["grub", "grub"]`, `x:1: sources: "grub" is listed twice`, nil},
		{"bad glob", "[devices]\ndeny = [\"[\"]", `x:2: devices: bad pattern "["`, nil},
		{"two words", "[cmdline]\nappend = [\"a b\"]", `x:2: cmdline.append: "a b" is not one word`, nil},
		{"log level", `log_level = "loud"`, `x:1: log_level: "loud" is not`, nil},
		{"kexec", `kexec = "kexec_load"`, "", func(c Config) bool { return c.Kexec == "kexec_load" }},
		{"kexec unknown", `kexec = "kexec_file"`, `x:1: kexec: "kexec_file" is not kexec_file_load or kexec_load`, nil},
		{"lists replace", `sources = ["uki"]`, "", func(c Config) bool { return reflect.DeepEqual(c.Sources, []string{"uki"}) }},
		{"lists kept when absent", `timeout = 1`, "", func(c Config) bool { return len(c.Sources) == 4 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ds := Parse("x", []byte(tc.in), Defaults())
			got := diagText(ds)
			if tc.diag == "" && got != "" || tc.diag != "" && !strings.Contains(got, tc.diag) {
				t.Errorf("diagnostics %q, want %q", got, tc.diag)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name           string
		baked, esp     string // "-" for no file
		cmdline        string
		warn           string
		timeout        float64 // -2: unset
		editAllowed    bool
		defaultSetting string
	}{
		{"nothing", "-", "-", "", "", -2, true, ""},
		{"baked", "timeout = 2", "-", "", "", 2, true, ""},
		{"bad baked file: defaults and a warning", "timeout = 2\nfoo = 1\n[edit]\nallowed = false", "-", "", "the file has errors: using the built-in defaults", -2, true, ""},
		{"ESP not allowed", "timeout = 2", "timeout = 9", "", "ignored: override.esp is not set", 2, true, ""},
		{"ESP allowed", "timeout = 2\n[override]\nesp = true", "timeout = 9", "", "", 9, true, ""},
		{"ESP cannot change edit", "[edit]\nallowed = false\n[override]\nesp = true", "timeout = 9\n[edit]\nallowed = true", "", "edit, shell, writes and override can only be set", -2, false, ""},
		{"ESP file with errors is ignored", "[override]\nesp = true", "timeout = []", "", "the file has errors: ignored", -2, true, ""},
		{"cmdline", "-", "-", "quiet leapboot.timeout=7 leapboot.default=foo", "", 7, true, "foo"},
		{"cmdline bad value", "-", "-", "leapboot.timeout=soon leapboot.timeout_style=x", "ignoring leapboot.timeout=soon", -2, true, ""},
		{"cmdline not allowed", "[override]\ncmdline = false", "-", "leapboot.timeout=7", "override.cmdline is not set", -2, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var baked, esp []byte
			if tc.baked != "-" {
				baked = []byte(tc.baked)
			}
			if tc.esp != "-" {
				esp = []byte(tc.esp)
			}
			c, ds := Load(Path, baked, "ESP:/leapboot/leapboot.toml", esp, tc.cmdline)
			got := diagText(ds)
			if tc.warn == "" && got != "" || tc.warn != "" && !strings.Contains(got, tc.warn) {
				t.Errorf("diagnostics %q, want %q", got, tc.warn)
			}
			to := -2.0
			if c.Timeout != nil {
				to = *c.Timeout
			}
			if to != tc.timeout || c.Edit.Allowed != tc.editAllowed || c.Default != tc.defaultSetting {
				t.Errorf("timeout %v edit %v default %q", to, c.Edit.Allowed, c.Default)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "grub.pbkdf2.sha512.100000.") {
		t.Errorf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("right password rejected")
	}
	for _, wrong := range []string{"", "correct hors", "correct horse ", "Correct horse"} {
		if CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	for _, bad := range []string{"", "hunter2", "grub.pbkdf2.sha512.x.00.00", "grub.pbkdf2.sha512.10.zz.00", "grub.pbkdf2.sha512.10.00"} {
		if CheckPassword(bad, "") || CheckPassword(bad, "hunter2") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

// TestPasswordKnownAnswer: a hash of "test" made by grub-mkpasswd-pbkdf2
// -c 1000 -s 16 -l 64 style parameters, computed independently with
// Python's hashlib.pbkdf2_hmac("sha512", b"test", salt, 1000, 64).
func TestPasswordKnownAnswer(t *testing.T) {
	h, err := hashWith("test", []byte("0123456789abcdef"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "test") {
		t.Fatal("own hash rejected")
	}
	if h != knownTestHash {
		t.Errorf("hash\n%s\nwant\n%s", h, knownTestHash)
	}
}

const knownTestHash = "grub.pbkdf2.sha512.1000.30313233343536373839616263646566.31FB5D227F40B289134BD4C38051854B506FF305F1304926D77611C23A2A1953C6E66B7F11237A57EB6BC8D279DFAA058C565C515C4F8B5EF9A1BB5BE07BA24F"

// TestExampleIsTheDefaults: the documented example parses cleanly and,
// but for its timeout, says what the defaults are.
func TestExampleIsTheDefaults(t *testing.T) {
	b, err := os.ReadFile("example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, ds := Parse("example.toml", b, Defaults())
	if len(ds) > 0 {
		t.Fatal(diagText(ds))
	}
	c.Timeout, c.Default = nil, ""
	c.Devices = Devices{}
	c.Cmdline = Cmdline{}
	if !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("example\n%+v\ndefaults\n%+v", c, Defaults())
	}
}

func TestCmdlineKexec(t *testing.T) {
	c, diags := ParseCmdline("quiet leapboot.kexec=kexec_load", Defaults())
	if c.Kexec != "kexec_load" || len(diags) != 0 {
		t.Errorf("Kexec = %q (%v), want kexec_load", c.Kexec, diags)
	}
	c, diags = ParseCmdline("leapboot.kexec=fast", Defaults())
	if c.Kexec != "" || len(diags) != 1 || !strings.Contains(diags[0].Message, "ignoring leapboot.kexec=fast") {
		t.Errorf("Kexec = %q (%v), want it ignored with a diagnostic", c.Kexec, diags)
	}
}
