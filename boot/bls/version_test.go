package bls

import "testing"

// Every example of the UAPI Version Format Specification
// (uapi-group/specifications, specs/version_format_specification.md), plus
// cases from systemd's strverscmp_improved behaviour.
func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		// The specification's examples.
		{"11", "11", 0},
		{"systemd-123", "systemd-123", 0},
		{"bar-123", "foo-123", -1},
		{"123a", "123", 1},
		{"123.a", "123", 1},
		{"123.a", "123.b", -1},
		{"123a", "123.a", 1},
		{"11α", "11β", 0},
		{"A", "a", -1},
		{"", "0", -1},
		{"0.", "0", 1},
		{"0.0", "0", 1},
		{"0", "~", 1},
		{"", "~", 1}, // the spec says '' < '~'; systemd 252 (systemd-analyze, bootctl, systemd-boot) says '' > '~'.
		{"1_", "1", 0},
		{"_1", "1", 0},
		{"1_", "1.2", -1},
		{"1_2_3", "1.3.3", 1},
		{"1+", "1", 0},
		{"+1", "1", 0},
		{"1+", "1.2", -1},
		{"1+2+3", "1.3.3", 1},
		// Pre-releases, patches, release separators, digit runs.
		{"1~rc1", "1", -1},
		{"1~rc1", "1~rc2", -1},
		{"1~~", "1~", 1}, // both skip one ~, then "~" vs the end: the longer is newer
		{"1^git1", "1", 1},
		{"1^git1", "1.1", -1}, // systemd 252: '^' sorts below '.'
		{"1.1^a", "1.1.1", -1},
		{"1^a", "1-a", 1},
		{"123-9", "123.1-1", -1},
		{"5.6.6-300.fc32", "5.6.10-100.fc32", -1},
		{"007", "7", 0},
		{"10", "9", 1},
		{"1a", "1b", -1},
		{"abc", "abcd", -1},
		{"1.a", "1.1", -1},
		{"a", "1", -1},
		{"5.10", "5.9", 1},
		{"99999999999999999999", "99999999999999999998", 1},
		{"x~", "x", -1},
		{"-", "", 1},
		{"^", "", 1},
		{"^", "1", -1},
		{".", "", 1},
		{"~", "~", 0},
		{"~-^.", "~-^.", 0},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1.2~rc1", "1.2")
	f.Add("1^a", "1.a")
	f.Add("~-^.", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := CompareVersions(a, b), CompareVersions(b, a)
		if x != -y {
			t.Fatalf("not antisymmetric: (%q,%q)=%d, reverse %d", a, b, x, y)
		}
		if CompareVersions(a, a) != 0 {
			t.Fatalf("%q != itself", a)
		}
	})
}
